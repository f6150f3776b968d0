"""git and gh for `tardis pr`, by subprocess: a branch, a commit of named paths only, a push, a PR."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class GitError(Exception):
    """A git or gh command failed; the message names the command and git's own words."""


@dataclass(frozen=True)
class Repository:
    """The git work tree holding the spec tree."""

    root: Path

    @classmethod
    def of(cls, path: Path) -> Repository:
        """The repository `path` lies in."""
        out = _run(["git", "-C", str(path), "rev-parse", "--show-toplevel"], path)
        return cls(Path(out.strip()))

    def git(self, *args: str) -> str:
        """Run `git <args>` in the work tree; its stdout."""
        return _run(["git", *args], self.root)

    def current_branch(self) -> str:
        """The checked-out branch ('' when HEAD is detached)."""
        return self.git("branch", "--show-current").strip()

    def head(self) -> str:
        """The commit HEAD points at."""
        return self.git("rev-parse", "HEAD").strip()

    def remote(self, name: str) -> str | None:
        """The URL of remote `name`, None when there is no such remote."""
        remotes = self.git("remote").split()
        return self.git("remote", "get-url", name).strip() if name in remotes else None

    def switch_to_new_branch(self, branch: str) -> None:
        """Create `branch` at HEAD and check it out (the working tree's changes come along)."""
        exists = self.git("branch", "--list", branch).strip()
        if exists and self.current_branch() != branch:
            raise GitError(f"branch {branch} already exists: pass --branch with another name or switch to it")
        if not exists:
            self.git("switch", "-c", branch)

    def changed(self, paths: list[Path]) -> list[Path]:
        """Of `paths` (files or folders), the files with changes against HEAD, untracked ones included."""
        relative = [str(p.relative_to(self.root)) for p in paths if p.exists() or _tracked(self, p)]
        if not relative:
            return []
        out = self.git("status", "--porcelain", "--untracked-files=all", "-z", "--", *relative)
        files = []
        for entry in out.split("\0"):
            if len(entry) > 3:
                files.append(self.root / entry[3:])
        return sorted(set(files))

    def commit_only(self, files: list[Path], message: str) -> str:
        """Commit exactly `files` (whatever else is staged stays out of the commit); the new commit."""
        relative = [str(f.relative_to(self.root)) for f in files]
        self.git("add", "--all", "--", *relative)
        self.git("commit", "--quiet", "-m", message, "--only", "--", *relative)
        return self.head()

    def push(self, remote: str, branch: str) -> None:
        """Push `branch` to `remote`, setting it as the upstream."""
        self.git("push", "--quiet", "--set-upstream", remote, branch)

    def files_of(self, commit: str) -> list[str]:
        """The paths a commit changed."""
        out = self.git("show", "--name-only", "--format=", commit)
        return sorted(line for line in out.splitlines() if line)


def _tracked(repo: Repository, path: Path) -> bool:
    return bool(repo.git("ls-files", "--", str(path.relative_to(repo.root))).strip())


def open_pull_request(root: Path, title: str, body: Path, base: str, branch: str) -> str | None:
    """`gh pr create` when gh is on PATH; the PR's URL, or None without gh."""
    gh = shutil.which("gh")
    if gh is None:
        return None
    out = _run(
        [gh, "pr", "create", "--title", title, "--body-file", str(body), "--base", base, "--head", branch],
        root,
    )
    return out.strip().splitlines()[-1] if out.strip() else ""


def _run(command: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"{' '.join(command[:3])}: {error}") from None
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"`{' '.join(command[:3])} ...` failed: {words[-1] if words else done.returncode}")
    return done.stdout
