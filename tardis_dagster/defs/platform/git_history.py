"""When each spec file was first committed: one `git log` over the specs folder, renames followed.

A deployed image often has no `.git` (or a shallow clone): the history then says why it is missing
or partial, in words the adoption report shows, instead of failing the asset.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

GIT_TIMEOUT_SECONDS = 120
_RECORD = "\x1e"  # starts each commit in the log output (a control character no path or date holds)
_NEEDED = "new products per month and the time to first publish need the repository's history"


@dataclass(frozen=True)
class SpecHistory:
    """The first commit (author date) of each spec file still in the tree, by absolute path; `note`
    says why the history is missing or partial."""

    first_commit: dict[Path, datetime] = field(default_factory=dict)
    note: str | None = None


def spec_history(folder: Path, git: str = "git") -> SpecHistory:
    """The history of the spec files under `folder`, from the repository holding it."""
    try:
        root = Path(_git(git, folder, "rev-parse", "--show-toplevel").strip()).resolve()
        log = _git(
            git,
            root,
            *("-c", "core.quotePath=false", "log", "--reverse", "-M", "--name-status"),
            f"--format={_RECORD}%aI",
            "--",
            str(folder.resolve().relative_to(root)),
        )
        shallow = _git(git, root, "rev-parse", "--is-shallow-repository").strip() == "true"
    except FileNotFoundError:
        return SpecHistory(note=f"no git executable ({git!r}) here: {_NEEDED}")
    except subprocess.CalledProcessError as error:
        lines = (error.stderr or "").strip().splitlines()
        reason = lines[0] if lines else f"git exited with {error.returncode}"
        return SpecHistory(note=f"no git history for {folder} ({reason}): {_NEEDED}")
    except (subprocess.TimeoutExpired, ValueError) as error:
        return SpecHistory(note=f"the git history of {folder} could not be read ({error}): {_NEEDED}")
    note = (
        "shallow clone: a spec first committed before the clone's depth shows its oldest commit there"
        if shallow
        else None
    )
    first = {path: when for path, when in parse_log(log, root).items() if path.exists()}  # deleted: gone
    return SpecHistory(first_commit=first, note=note)


def parse_log(text: str, root: Path) -> dict[Path, datetime]:
    """First commit per file from `git log --reverse --name-status` output (oldest commit first).

    A renamed or copied file keeps the first commit of the file it came from; a file added again
    after a deletion keeps its first date (it is the same product coming back).
    """
    first: dict[Path, datetime] = {}
    for record in text.split(_RECORD):
        lines = [line for line in record.splitlines() if line.strip()]
        if not lines:
            continue
        when = datetime.fromisoformat(lines[0].strip())
        for line in lines[1:]:
            status, *paths = line.split("\t")
            if not paths:
                continue
            target = root / paths[-1]
            if status[:1] in ("R", "C") and len(paths) == 2:
                origin = first.get(root / paths[0], when)
                first.setdefault(target, origin)
            else:
                first.setdefault(target, when)
    return first


def _git(git: str, cwd: Path, *args: str) -> str:
    return subprocess.run(
        [git, "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=GIT_TIMEOUT_SECONDS,
    ).stdout
