"""`make package`'s job bundle holds exactly what the Spark jobs import, and imports on its own.

The bundle is built once into a temporary folder; the checks compare it with what a Python process
really loads when it imports each job (not with the builder's own reading of the imports), and then
import every job in a Python without site-packages whose path holds only the zip and what a cluster
image provides (pyspark, py4j and the compiled requirements the bundle names).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cluster_image import link_image

from tardis_dagster.tooling import package

ROOT = "tardis_dagster"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    package.build(out)
    return out


def _zip_names(bundle_dir: Path) -> set[str]:
    with zipfile.ZipFile(bundle_dir / package.ZIP_NAME) as zf:
        return set(zf.namelist())


def _loaded_by_jobs() -> set[str]:
    """The modules a fresh interpreter loads when it imports every job entry point."""
    jobs = ", ".join(f"{package.JOBS}.{job}" for job in package.job_entry_modules())
    code = f"import sys; import {jobs}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_bundle_has_an_entry_point_per_job_and_a_manifest(bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    assert manifest["entry_points"] == [
        "land_files.py",
        "land_kafka.py",
        "quality_checks.py",
        "standardize.py",
        "table_maintenance.py",
    ]
    for script in manifest["entry_points"]:
        text = (bundle_dir / script).read_text()
        assert f'runpy.run_module("{package.JOBS}.{script[:-3]}"' in text
    assert "dagster-pipes" in manifest["vendored"] and "sqlglot" in manifest["vendored"]
    requirements = (bundle_dir / "requirements-cluster.txt").read_text()
    assert "confluent-kafka==" in requirements and "rpds-py==" in requirements


def test_the_zip_holds_every_module_of_ours_the_jobs_load_and_nothing_else_of_ours(bundle_dir: Path) -> None:
    names = _zip_names(bundle_dir)
    ours_in_zip = {n for n in names if n.startswith(f"{ROOT}/")}
    layers = {n.split("/")[1] for n in ours_in_zip if n.count("/") >= 2}
    assert layers == {"jobs", "core"}, layers  # no defs/, lib/, tooling/, components
    loaded = _loaded_by_jobs()
    for module in sorted(m for m in loaded if m.split(".")[0] == ROOT):
        path = module.replace(".", "/")
        assert f"{path}.py" in names or f"{path}/__init__.py" in names, module
    # ...and nothing of the code location beyond it: spec model, defs, CLI stay out.
    assert not any(n.startswith(f"{ROOT}/core/specs/") for n in names)


def test_the_zip_vendors_the_pure_python_the_jobs_load_and_no_dagster(bundle_dir: Path) -> None:
    names = _zip_names(bundle_dir)
    tops = {n.split("/")[0].removesuffix(".py") for n in names}
    assert {"dagster_pipes", "sqlglot", "jsonschema", "referencing"} <= tops
    assert not tops & {"dagster", "pydantic", "pydantic_core", "yaml", "dbt", "typer", "rich"}
    assert not any(n.endswith((".so", ".pyd")) for n in names)  # compiled code cannot load from a zip
    # That this suffices is shown by the import in a Python without site-packages (below).


CLUSTER_IMPORT = """
import sys
sys.path[:0] = [{zip!r}, {site!r}]
import {modules}
import tardis_dagster
assert tardis_dagster.__file__.startswith({zip!r}), tardis_dagster.__file__
for blocked in ("dagster", "pydantic", "yaml"):
    try:
        __import__(blocked)
    except ImportError:
        continue
    raise SystemExit(f"{{blocked}} is importable: the check would prove nothing")
print("ok")
"""


def test_each_job_imports_with_only_the_zip_and_the_cluster_image(bundle_dir: Path, tmp_path: Path) -> None:
    # A stand-in cluster image: pyspark, py4j and the compiled requirements, linked from this venv.
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    site = link_image(tmp_path / "cluster-site", set(manifest["native"]) | {"pyspark", "py4j"})
    modules = ", ".join(f"{package.JOBS}.{job[:-3]}" for job in manifest["entry_points"])
    code = CLUSTER_IMPORT.format(zip=str(bundle_dir / package.ZIP_NAME), site=str(site), modules=modules)
    # -I -S: no site-packages, no PYTHONPATH, no current directory: only the stdlib and the path above.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
