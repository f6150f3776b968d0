"""Backstage's own code for the template tests: the scaffolder's Template validator, its two template
engines and the catalog model, installed once per session from backstage/test-harness/ with `npm ci`
(pinned by its package-lock.json; npm's cache under .tardis/cache/npm, so a warm CI cache needs no
network). `scaffolder` runs backstage/test-harness/scaffolder.cjs, the one place that calls them."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings

HARNESS = PROJECT_ROOT / "backstage" / "test-harness"
TEMPLATE_DIR = PROJECT_ROOT / "backstage" / "templates" / "data-product"
# Written after a complete `npm ci`: the lock file's hash, so a changed pin reinstalls.
_STAMP = HARNESS / "node_modules" / ".tardis-installed"
_FAILED: list[str] = []

Scaffolder = Callable[[str, dict[str, Any]], Any]


@pytest.fixture(scope="session")
def scaffolder() -> Scaffolder:
    """``scaffolder(command, request)``: the harness' JSON answer to ``command`` (validate | render)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("tests/backstage need Node.js 20+ with npm on PATH (node and npm were not found)")
    if _FAILED:  # pytest sets a failed session fixture up again for every test: say it once, quickly
        pytest.fail(_FAILED[0])
    wanted = hashlib.sha256((HARNESS / "package-lock.json").read_bytes()).hexdigest()
    if not _STAMP.is_file() or _STAMP.read_text() != wanted:
        cache = get_settings().home / "cache" / "npm"
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"]
        done = subprocess.run(
            [*command, "--cache", str(cache)], cwd=HARNESS, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            said = [line for line in (done.stdout + done.stderr).splitlines() if " at " not in line]
            tail = "\n".join(said[:12])  # npm's reason comes first; its stack trace is left out
            _FAILED.append(
                f"`npm ci` in {HARNESS.relative_to(PROJECT_ROOT)} failed (exit {done.returncode}); "
                f"npm must reach its registry ({_registry(npm)}) once to fill {cache}:\n{tail}"
            )
            pytest.fail(_FAILED[0])
        _STAMP.write_text(wanted)

    def run(command: str, request: dict[str, Any]) -> Any:
        done = subprocess.run(
            [node, str(HARNESS / "scaffolder.cjs"), command],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """backstage/templates/data-product/template.yaml, parsed."""
    return yaml.safe_load((TEMPLATE_DIR / "template.yaml").read_text())


def _registry(npm: str) -> str:
    done = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or "the npm registry"


@pytest.fixture(scope="session")
def render_form(scaffolder: Scaffolder, template: dict[str, Any]) -> Callable[[dict, str], dict]:
    """``render_form(parameters, engine)``: what the template's fetch:template step writes for the
    form's ``parameters`` (path -> text), rendered by ``engine`` (nunjitsu | nunjucks)."""

    def render(parameters: dict, engine: str) -> dict:
        request = {
            "template": template,
            "templateDir": str(TEMPLATE_DIR),
            "parameters": parameters,
            "engine": engine,
        }
        return scaffolder("render", request)["files"]

    return render
