"""The package's layers import one way: core -> jobs -> lib -> defs -> the top; tooling beside the top.

Read from the source (every import statement, also those inside functions), so a new import that
breaks the direction fails here before it ships. A second check imports the job scripts in a Python
that cannot import Dagster or pydantic: the job bundle needs only the core, pyspark and dagster-pipes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tardis_dagster"
ROOT = "tardis_dagster"
DAGSTER = ("dagster", "dagster_dbt", "dagster_aws", "dagster_k8s", "dagster_slack", "dagster_webserver")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute (relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.add(name)
            # `from tardis_dagster.x import y` may import the module `tardis_dagster.x.y`.
            found.update(f"{name}.{alias.name}" for alias in node.names if name.startswith(ROOT))
    return found


def _modules(layer: str) -> dict[str, set[str]]:
    folder = PACKAGE / layer
    files = (
        [folder.with_suffix(".py")] if folder.with_suffix(".py").exists() else sorted(folder.rglob("*.py"))
    )
    return {_module_name(p): _imports(p) for p in files}


def _ours(name: str) -> str | None:
    """The layer of one of our modules (`core`, `jobs`, `lib`, `defs`, `tooling`, ...), else None."""
    parts = name.split(".")
    return parts[1] if parts[0] == ROOT and len(parts) > 1 else None


def _is_dagster(name: str) -> bool:
    return name.split(".")[0] in DAGSTER


def _violations(layer: str, allowed_layers: set[str], forbid=lambda _name: False) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in _modules(layer).items()
        for name in names
        if (_ours(name) is not None and _ours(name) not in allowed_layers and _ours(name) != "__init__")
        or forbid(name)
    )


def test_the_core_imports_neither_dagster_nor_pyspark_nor_another_layer() -> None:
    forbid = lambda name: _is_dagster(name) or name.split(".")[0] in ("pyspark", "dagster_pipes")  # noqa: E731
    assert _violations("core", {"core"}, forbid) == []


def test_jobs_import_only_the_core_pyspark_and_dagster_pipes() -> None:
    assert _violations("jobs", {"core", "jobs"}, _is_dagster) == []


def test_the_library_imports_only_the_core() -> None:
    assert _violations("lib", {"core", "lib"}) == []


def test_each_layer_of_definitions_imports_only_the_core_the_library_and_itself() -> None:
    problems = []
    for module, names in _modules("defs").items():
        own = module.split(".")[2] if module.count(".") >= 2 else None
        for name in names:
            layer = _ours(name)
            if layer in ("core", "lib", None):
                continue
            if layer == "defs" and name.split(".")[2:3] == [own]:
                continue
            problems.append(f"{module} imports {name}")
    assert sorted(problems) == []


@pytest.mark.parametrize("layer", ["core", "jobs", "lib", "defs", "components", "assembly", "definitions"])
def test_the_code_location_never_imports_the_tooling(layer: str) -> None:
    assert _violations(layer, {"core", "jobs", "lib", "defs", "components", "assembly", "definitions"}) == []


def test_the_checks_above_read_real_imports() -> None:
    # The reader sees imports inside functions too, so a lazy import cannot hide a wrong direction.
    imports = _imports(PACKAGE / "jobs" / "land_kafka.py")
    assert "tardis_dagster.jobs.pipes_channels" in imports and "tardis_dagster.core.jobs_io" in imports
    assert _ours("tardis_dagster.tooling.cli") == "tooling" and _ours("dagster") is None


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in {blocked!r}:
            raise ImportError(f"{{name}} is not part of the job bundle")
        return None
sys.meta_path.insert(0, Block())
import tardis_dagster.jobs.land_kafka, tardis_dagster.jobs.land_files
import tardis_dagster.jobs.standardize, tardis_dagster.jobs.quality_checks
print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {blocked!r}))
"""


def test_the_job_scripts_import_without_dagster_or_pydantic() -> None:
    blocked = {*DAGSTER, "pydantic", "pydantic_core", "yaml", "typer", "rich", "dbt"}
    code = BLOCKER.format(blocked=blocked)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok []"
