"""The xdist grouping `make test` relies on (tests/parallel_groups.py)."""

from __future__ import annotations

from pathlib import Path

import parallel_groups

TESTS = Path(__file__).resolve().parents[1]


def test_every_demo_file_named_exists() -> None:
    # A renamed file would silently leave the demo group and run beside the demo's writers.
    missing = [n for n in parallel_groups._DEMO_FILES if not (TESTS / "integration" / n).exists()]
    assert not missing


def test_demo_files_share_one_group_and_other_files_have_their_own() -> None:
    group = parallel_groups.group_of
    assert group(TESTS / "integration/test_demo_pii.py", TESTS) == parallel_groups.SHARED_DEMO
    assert group(TESTS / "integration/test_tardis_test.py", TESTS) == parallel_groups.SHARED_DEMO
    assert group(TESTS / "integration/test_standardize.py", TESTS) == "integration/test_standardize.py"
    assert group(TESTS / "cost/test_cost_models.py", TESTS) == group(TESTS / "cost/test_forecast.py", TESTS)
    assert group(TESTS / "cost/test_cost_models.py", TESTS) != group(
        TESTS / "vault/test_vault_assets.py", TESTS
    )
