"""A non-editable install (as an image has it) works on the repository it is run in (issue 14, 6).

`pip install --no-deps --no-build-isolation` of a clone into a scratch venv that borrows .venv's
installed dependencies (a `.pth` line), then, from that clone with one spec changed in a commit:
`tardis validate`, `tardis check --base HEAD~1` and loading the definitions all see the clone's
change, and nothing of the project is looked for beside the installed package. An editable install
used from a `git worktree` works on the worktree's specs the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT

SPEC = Path("product_specs/consumer/order_events.yaml")
OLD = "description: Orders placed by customers, from the checkout service;"
NEW = "description: Orders placed by customers (changed in the clone), from the checkout service;"
MARKER = "changed in the clone"
DEFINITIONS = """
from tardis_dagster.core.settings import get_settings
import tardis_dagster
from tardis_dagster.definitions import defs
print("package", tardis_dagster.__file__)
print("project", get_settings().project_root)
for node in defs().resolve_asset_graph().asset_nodes:
    if node.description and "{marker}" in node.description:
        print("asset", node.key.to_user_string())
"""


def _git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _environment(tmp_path: Path) -> dict[str, str]:
    """The user's environment without any setting that names a project (the conftest's included)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARDIS_") and k != "DAGSTER_HOME"}
    env["TARDIS_HOME"] = str(tmp_path / "home")  # state only; the project comes from the git root
    env["HOME"] = str(tmp_path)
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)


def _change_a_spec(repo: Path) -> None:
    spec = repo / SPEC
    text = spec.read_text()
    assert OLD in text
    spec.write_text(text.replace(OLD, NEW))
    _git(repo, "commit", "-qam", "describe order_events differently")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scratch venv, clone it was installed from, non-editable); the clone then changes one spec."""
    tmp = tmp_path_factory.mktemp("installed")
    clone = tmp / "clone"
    _git(tmp, "clone", "-q", str(PROJECT_ROOT), str(clone))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the dependencies come from .venv (a path line, so its editable-install hook is not run)
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # a full install would have put dbt's console script here too (the code location runs it from here)
    (venv / "bin" / "dbt").symlink_to(Path(sys.executable).parent / "dbt")
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-deps", "--no-build-isolation", "--no-index", str(clone)],
        cwd=tmp,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    _change_a_spec(clone)
    return venv, clone


def test_installed_package_is_not_editable(installed: tuple[Path, Path]) -> None:
    venv, _ = installed
    site = next((venv / "lib").glob("python*/site-packages"))
    assert (site / "tardis_dagster" / "core" / "settings.py").is_file()  # real files, no finder hook
    assert not list(site.glob("__editable__*"))
    assert not (site / "product_specs").exists() and not (site / "pyproject.toml").exists()


def test_validate_and_check_use_the_clone(installed: tuple[Path, Path], tmp_path: Path) -> None:
    venv, clone = installed
    env = _environment(tmp_path)
    validated = _run([str(venv / "bin" / "tardis"), "validate"], clone / "product_specs" / "consumer", env)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.startswith("ok: 14 products")

    checked = _run(
        [str(venv / "bin" / "tardis"), "check", "--base", "HEAD~1", "--format", "lines"], clone, env
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "order_events" in checked.stdout
    assert "cosmetic change" in checked.stdout, checked.stdout


def test_definitions_load_the_clone_s_specs(installed: tuple[Path, Path], tmp_path: Path) -> None:
    venv, clone = installed
    # -P: the current directory (the clone, which holds the package's source) is not on sys.path
    done = _run(
        [str(venv / "bin" / "python"), "-P", "-c", DEFINITIONS.format(marker=MARKER)],
        clone,
        _environment(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    package = Path(lines[0].split(" ", 1)[1])
    assert package.is_relative_to(venv), package  # the installed copy, not /work/main's
    assert lines[1] == f"project {clone.resolve()}"
    assert any(line.startswith("asset ") and "order_events" in line for line in lines[2:]), done.stdout


def test_editable_install_in_a_worktree_checks_the_worktree(tmp_path: Path) -> None:
    tree = tmp_path / "worktree"
    _git(PROJECT_ROOT, "worktree", "add", "-q", "--detach", str(tree), "HEAD")
    try:
        _change_a_spec(tree)
        tardis = str(Path(sys.executable).parent / "tardis")  # .venv's: editable, from PROJECT_ROOT
        checked = _run(
            [tardis, "check", "--base", "HEAD~1", "--format", "lines"], tree, _environment(tmp_path)
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "cosmetic change" in checked.stdout, checked.stdout
    finally:
        _git(PROJECT_ROOT, "worktree", "remove", "--force", str(tree))
