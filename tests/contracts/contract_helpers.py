"""Shared by the contract-check tests: expected verdicts per mode, and temporary git repositories.

A module of its own (not conftest) so tests import it by a name no other conftest shadows.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

from tardis_dagster.tooling.contracts.compatibility.modes import MODES

REPO = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Tardis Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Tardis Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def verdicts(backward: bool, forward: bool) -> dict[str, bool]:
    """Expected verdict per mode for a one-step history (transitive = plain with one earlier version)."""
    by_base = {"NONE": True, "BACKWARD": backward, "FORWARD": forward, "FULL": backward and forward}
    return {mode: by_base[mode.removesuffix("_TRANSITIVE")] for mode in MODES}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; fail the test on error."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def init_repo(repo: Path) -> Path:
    """An empty git repository at `repo`."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in `repo`; returns the commit id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def copy_committed_specs(repo: Path) -> Path:
    """Copy the project's product_specs/ as committed (not the working tree) into `repo`."""
    data = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", "HEAD", "--", "product_specs"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(repo, filter="data")
    return repo / "product_specs"


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in the file at `path` by `new`."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
