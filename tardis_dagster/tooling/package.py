"""The job bundle EMR runs: one entry-point script per Spark job plus a zip of everything they import.

`make package` (`python -m tardis_dagster.tooling.package`) writes `dist/`:

- `<job>.py` for each job module of `tardis_dagster/jobs/` that has a `__main__` block: the
  `entryPoint` of an EMR job run (`spark-submit ... dist/<job>.py`);
- `spark_jobs.zip`: the job modules and the core modules they import (found by reading their import
  statements, those inside functions included, as `tests/architecture/test_import_directions.py`
  does), plus the pure-Python distributions they need that the cluster lacks (dagster-pipes,
  sqlglot, jsonschema, ...) — passed with `--py-files`;
- `requirements-cluster.txt`: the distributions they need that hold compiled code (a zip cannot
  carry those): installed in the EMR image or a packed virtualenv (`spark.archives`), pinned;
- `manifest.json`: what went where, for review and the deploy.

Nothing of `defs/`, `lib/`, `tooling/` or Dagster itself enters the bundle.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import importlib.util
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROOT = PACKAGE_DIR.name  # tardis_dagster
JOBS = f"{ROOT}.jobs"
BUNDLE_LAYERS = ("jobs", "core")  # the only layers a job may import (checked by the architecture test)
ZIP_NAME = "spark_jobs.zip"  # the name `lib/spark_runner.py` passes to `--py-files`

# What an EMR release image already has (Spark's own Python side and the AWS SDK): never bundled.
CLUSTER_PROVIDED = frozenset(
    {
        "pyspark",
        "py4j",
        "numpy",
        "pandas",
        "pyarrow",
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "python-dateutil",
        "urllib3",
        "six",
    }
)
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
_NAME_NORMALIZE = re.compile(r"[-_.]+")


class PackageError(RuntimeError):
    """The bundle cannot be built: a job imports something that is neither ours nor installed."""


@dataclass
class Bundle:
    """What the bundle holds: our modules, vendored and native distributions, entry points."""

    modules: set[str] = field(default_factory=set)  # our modules, dotted
    vendored: dict[str, str] = field(default_factory=dict)  # distribution -> version, inside the zip
    native: dict[str, str] = field(default_factory=dict)  # distribution -> version, to install
    provided: set[str] = field(default_factory=set)  # distributions the cluster has
    entry_points: list[str] = field(default_factory=list)  # job module names (land_files, ...)


def _normalize(name: str) -> str:
    return _NAME_NORMALIZE.sub("-", name).lower()


def _module_file(module: str) -> Path:
    """The source file of one of our modules (`tardis_dagster.core.naming` -> .../core/naming.py)."""
    path = PACKAGE_DIR.parent.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports(module: str) -> set[str]:
    """Every module that `module`'s source imports (absolute; relative imports resolved)."""
    path = _module_file(module)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.add(name)
            if name.split(".")[0] == ROOT:
                # `from pkg import x` may import the module pkg.x
                found.update(
                    f"{name}.{alias.name}" for alias in node.names if _module_exists(f"{name}.{alias.name}")
                )
    return {name for name in found if name and name != "__future__"}


def _module_exists(module: str) -> bool:
    return _module_file(module).exists()


def job_entry_modules() -> list[str]:
    """The job modules that are entry points: those under jobs/ with a `__main__` block."""
    return sorted(
        path.stem
        for path in (PACKAGE_DIR / "jobs").glob("*.py")
        if path.stem != "__init__" and 'if __name__ == "__main__"' in path.read_text()
    )


def our_closure(roots: list[str]) -> tuple[set[str], set[str]]:
    """Our modules reachable from `roots` (with their parent packages), and the external imports."""
    ours: set[str] = set()
    external: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in ours:
            continue
        ours.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent __init__s run too
        for name in _imports(module):
            if name.split(".")[0] == ROOT:
                if _module_exists(name):
                    todo.append(name)
            elif name.split(".")[0] not in sys.stdlib_module_names:
                external.add(name)
    return ours, external


def _distribution_index() -> dict[str, metadata.Distribution]:
    """Every installed file (absolute path) -> the distribution that installed it."""
    index = {}
    for dist in metadata.distributions():
        for file in dist.files or ():
            index[str(dist.locate_file(file))] = dist
    return index


def _distribution_of(module: str, index: dict[str, metadata.Distribution]) -> metadata.Distribution:
    """The distribution that installed `module`'s top-level package (or, for a namespace package such
    as `google`, the package below it): accelerator add-ons that drop compiled files into another
    distribution's package (sqlglotc into sqlglot) are left out, the pure modules suffice."""
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        spec = importlib.util.find_spec(name)
        if spec is None:
            break
        if spec.origin is not None:  # not a namespace package
            if spec.origin in index:
                return index[spec.origin]
            raise PackageError(f"{name} ({spec.origin}) belongs to no installed distribution")
    raise PackageError(
        f"a job imports {module}, which is not installed: pip install it, or remove the import"
    )


def _requirements(dist: metadata.Distribution) -> list[str]:
    """The names of `dist`'s unconditional requirements (extras and other platforms' markers left out)."""
    from packaging.requirements import Requirement

    names = []
    for line in dist.requires or ():
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(req.name)
    return names


def _is_native(dist: metadata.Distribution) -> bool:
    return any(str(f).endswith(NATIVE_SUFFIXES) for f in dist.files or ())


def resolve() -> Bundle:
    """The bundle's contents, from the job entry points' imports."""
    entry_points = job_entry_modules()
    ours, external = our_closure([f"{JOBS}.{name}" for name in entry_points])
    stray = sorted(m for m in ours if m != ROOT and m.split(".")[1] not in BUNDLE_LAYERS)
    if stray:
        raise PackageError(f"job modules import outside jobs/ and core/: {', '.join(stray)}")
    bundle = Bundle(modules=ours, entry_points=entry_points)
    index = _distribution_index()
    todo = [_distribution_of(name, index) for name in sorted(external)]
    seen: set[str] = set()
    while todo:
        dist = todo.pop()
        name = _normalize(dist.metadata["Name"])
        if name in seen:
            continue
        seen.add(name)
        if name in CLUSTER_PROVIDED:
            bundle.provided.add(name)
            continue
        if _is_native(dist):
            # pip installs it on the cluster, and its own requirements with it
            bundle.native[name] = dist.version
            continue
        bundle.vendored[name] = dist.version
        for req in _requirements(dist):
            try:
                todo.append(metadata.distribution(req))
            except metadata.PackageNotFoundError as exc:
                raise PackageError(f"{name} requires {req}, which is not installed") from exc
    return bundle


def _vendored_files(name: str) -> list[tuple[Path, str]]:
    """(file on disk, name in the zip) of a pure distribution's importable files."""
    dist = metadata.distribution(name)
    files = []
    for file in dist.files or ():
        parts = Path(file).parts
        if parts[0].endswith((".dist-info", ".data")) or parts[0] in ("..", "bin") or file.suffix == ".pyc":
            continue
        files.append((Path(dist.locate_file(file)), Path(file).as_posix()))
    return files


ENTRY_POINT = '''"""Entry point of the Spark job `{module}` (by `make package`): runs it as `-m` does."""

import runpy

if __name__ == "__main__":
    runpy.run_module("{module}", run_name="__main__", alter_sys=True)
'''


def build(out_dir: Path) -> Bundle:
    """Write the bundle into `out_dir` (replacing what a previous build wrote) and return its contents."""
    bundle = resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.py"):
        stale.unlink()
    with zipfile.ZipFile(out_dir / ZIP_NAME, "w", zipfile.ZIP_DEFLATED) as zf:
        for module in sorted(bundle.modules):
            source = _module_file(module)
            zf.write(source, source.relative_to(PACKAGE_DIR.parent).as_posix())
        for name in sorted(bundle.vendored):
            for source, arcname in _vendored_files(name):
                zf.write(source, arcname)
    for job in bundle.entry_points:
        (out_dir / f"{job}.py").write_text(ENTRY_POINT.format(module=f"{JOBS}.{job}"))
    (out_dir / "requirements-cluster.txt").write_text(
        "# Compiled dependencies of the job bundle: install them in the EMR image or a packed venv.\n"
        + "".join(f"{name}=={version}\n" for name, version in sorted(bundle.native.items()))
    )
    manifest = {
        "zip": ZIP_NAME,
        "entry_points": [f"{job}.py" for job in bundle.entry_points],
        "modules": sorted(bundle.modules),
        "vendored": dict(sorted(bundle.vendored.items())),
        "native": dict(sorted(bundle.native.items())),
        "cluster_provided": sorted(bundle.provided),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return bundle


def main() -> None:
    """`python -m tardis_dagster.tooling.package [OUT_DIR]` (default `dist/` at the project root)."""
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE_DIR.parent / "dist"
    try:
        bundle = build(out_dir)
    except PackageError as exc:
        print(f"make package: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(
        f"{out_dir}: {len(bundle.entry_points)} entry points, {ZIP_NAME} with {len(bundle.modules)} modules "
        f"and {len(bundle.vendored)} vendored distributions; {len(bundle.native)} compiled ones in "
        "requirements-cluster.txt"
    )


if __name__ == "__main__":
    main()
