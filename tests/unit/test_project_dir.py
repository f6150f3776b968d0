"""Where the project lives: TARDIS_PROJECT_DIR, else the git root of the current directory, else a
clear error (never the package's install location)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tardis_dagster.core.settings import ProjectDirError, project_dir


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "product_specs").mkdir()
    return root


def test_the_environment_wins_over_the_current_repo(tmp_path: Path) -> None:
    here, named = _repo(tmp_path / "here"), _repo(tmp_path / "named")
    assert project_dir({"TARDIS_PROJECT_DIR": str(named)}, cwd=here) == named.resolve()


def test_the_git_root_of_the_current_directory(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "product_specs" / "consumer").mkdir()
    assert project_dir({}, cwd=repo / "product_specs" / "consumer") == repo.resolve()


def test_a_worktree_is_its_own_project(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "product_specs" / "_model.yaml").write_text("x: 1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    subprocess.run([*git, "worktree", "add", "-q", str(tmp_path / "wt")], check=True)
    assert (tmp_path / "wt" / ".git").is_file()  # a worktree's .git is a file, not a folder
    assert project_dir({}, cwd=tmp_path / "wt" / "product_specs") == (tmp_path / "wt").resolve()


def test_outside_any_repository_the_error_names_both_fixes(tmp_path: Path) -> None:
    with pytest.raises(ProjectDirError) as raised:
        project_dir({}, cwd=tmp_path)
    assert "TARDIS_PROJECT_DIR" in str(raised.value)
    assert "inside the project's repository" in str(raised.value)


def test_a_repository_without_specs_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "other")], check=True)
    with pytest.raises(ProjectDirError, match="without product_specs/"):
        project_dir({}, cwd=tmp_path / "other")


def test_a_missing_named_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ProjectDirError, match="no such directory"):
        project_dir({"TARDIS_PROJECT_DIR": str(tmp_path / "absent")}, cwd=tmp_path)


def test_the_cli_reports_it_without_a_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "tardis_dagster.tooling.cli", "validate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("tardis: no project directory:")
    assert "TARDIS_PROJECT_DIR" in done.stderr
