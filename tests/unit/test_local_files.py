"""Local files that hold secrets: the PII key is created once, exclusively and owner-only, and the
local home (`.tardis/`) is not readable by other users."""

from __future__ import annotations

import dataclasses
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tardis_dagster.core.settings import ensure_home, get_settings, local_pii_key, pii_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_pii_key_is_created_owner_only_and_then_kept(tmp_path: Path) -> None:
    path = tmp_path / "pii.key"

    key = local_pii_key(path)

    assert len(key) == 64 and int(key, 16) >= 0
    assert _mode(path) == 0o600
    assert local_pii_key(path) == key


def test_concurrent_creators_all_get_the_winners_key(tmp_path: Path) -> None:
    path = tmp_path / "pii.key"
    with ProcessPoolExecutor(max_workers=6) as pool:
        keys = list(pool.map(local_pii_key, [path] * 24))

    assert len(set(keys)) == 1
    assert path.read_text() == keys[0]


def test_a_loosely_readable_key_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "pii.key"
    path.write_text("a" * 64)
    path.chmod(0o644)

    assert local_pii_key(path) == "a" * 64
    assert _mode(path) == 0o600


def test_the_home_is_private_new_or_existing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TARDIS_PII_KEY", raising=False)
    new = dataclasses.replace(get_settings(), home=tmp_path / "new" / ".tardis", deployment="local")
    existing = dataclasses.replace(get_settings(), home=tmp_path / "old", deployment="local")
    existing.home.mkdir(mode=0o755)
    existing.home.chmod(0o755)

    ensure_home(existing)
    key = pii_key(new)  # creates the home on first use

    assert _mode(new.home) == 0o700 and _mode(existing.home) == 0o700
    assert (new.home / "pii.key").read_text() == key and _mode(new.home / "pii.key") == 0o600
