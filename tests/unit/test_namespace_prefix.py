"""TARDIS_NAMESPACE_PREFIX: a whole code location's tables under `<prefix><layer>`, checked on read."""

from __future__ import annotations

import pytest

from tardis_dagster.core import naming
from tardis_dagster.core.settings import get_settings


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield get_settings
    get_settings.cache_clear()


def test_the_prefix_moves_every_layer(monkeypatch: pytest.MonkeyPatch, fresh_settings) -> None:
    monkeypatch.setenv("TARDIS_NAMESPACE_PREFIX", "branch_42_")
    prefix = fresh_settings().namespace_prefix
    assert prefix == "branch_42_"
    assert naming.raw_table("orders", prefix) == "branch_42_raw.orders"


def test_no_prefix_is_the_shared_layers(monkeypatch: pytest.MonkeyPatch, fresh_settings) -> None:
    monkeypatch.delenv("TARDIS_NAMESPACE_PREFIX", raising=False)
    assert fresh_settings().namespace_prefix == ""


@pytest.mark.parametrize("bad", ["Branch_", "branch", "1branch_", "x`; DROP TABLE raw.orders; --_", "a-b_"])
def test_a_prefix_that_is_no_plain_identifier_is_refused(
    bad: str, monkeypatch: pytest.MonkeyPatch, fresh_settings
) -> None:
    monkeypatch.setenv("TARDIS_NAMESPACE_PREFIX", bad)
    with pytest.raises(ValueError, match="TARDIS_NAMESPACE_PREFIX must be lowercase"):
        fresh_settings()
