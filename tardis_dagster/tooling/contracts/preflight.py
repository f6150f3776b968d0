"""Pre-flight contract check: compare every product spec with its version at a git base.

The specs at the base are taken with `git archive <base> -- <specs folder>` into a temporary folder
and loaded like the working tree's, then products are matched by name. For each changed product:
classify the changes (`changes`), check the version bump (`versioning`), list downstream consumers
(`consumers`), and for a Kafka product whose schema file changed, check the new schema against its
earlier versions under the spec's `compatibility` mode (`compatibility/`; transitive modes read
every version of the file in the git history up to the base), or ask the schema registry when one
is configured. Each result is a `Finding`; any `error` finding blocks.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tardis_dagster.core.formats.registry import FORMAT_SCHEMA_TYPES, RegistryClient, RegistryError
from tardis_dagster.core.specs.catalog import SpecCatalog, load_catalog
from tardis_dagster.core.specs.model import DataProduct
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml
from tardis_dagster.tooling.contracts.changes import Change, diff_products, required_bump
from tardis_dagster.tooling.contracts.compatibility.evolution import check_files
from tardis_dagster.tooling.contracts.consumers import Consumer, find_consumers
from tardis_dagster.tooling.contracts.versioning import BUMP_ORDER, Bump, BumpCheck, check_bump

Severity = Literal["error", "warning", "notice"]
Status = Literal["changed", "added", "removed"]
MANIFEST_PATH = Path("dbt_project/target/manifest.json")


class CheckError(Exception):
    """The check cannot run (not a git repository, unknown base ref, ...); the message says why."""


@dataclass(frozen=True)
class Finding:
    """One line of the report: where (file, line), how bad, and what."""

    path: str
    line: int
    severity: Severity
    message: str

    @property
    def blocking(self) -> bool:
        """True for errors: they fail the check."""
        return self.severity == "error"

    def annotation(self) -> str:
        """`file:line: severity: message`, the form CI problem matchers pick up."""
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class SchemaCheck:
    """The Kafka schema evolution verdict: format, mode, what it was checked against, and problems."""

    format: str
    mode: str
    source: Literal["git", "registry"]
    against: list[str]
    problems: list[str]

    @property
    def compatible(self) -> bool:
        """True when no incompatibility was found."""
        return not self.problems


@dataclass
class ProductResult:
    """Everything `tardis check` found about one product."""

    name: str
    path: str
    status: Status
    old_version: str | None = None
    new_version: str | None = None
    changes: list[Change] = field(default_factory=list)
    bump: BumpCheck | None = None
    consumers: list[Consumer] = field(default_factory=list)
    schema: SchemaCheck | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def required(self) -> Bump:
        """The bump the changes need."""
        return required_bump(self.changes)

    @property
    def blocking(self) -> bool:
        """True when any finding blocks."""
        return any(finding.blocking for finding in self.findings)


@dataclass
class CheckResult:
    """The whole check: the base, one result per changed/added/removed product, invalid-spec problems."""

    base: str
    products: list[ProductResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def findings(self) -> list[Finding]:
        """Every finding, product by product."""
        return [finding for product in self.products for finding in product.findings]

    @property
    def blocking(self) -> bool:
        """True when the specs are invalid or any finding blocks."""
        return bool(self.problems) or any(product.blocking for product in self.products)


def run_check(
    specs_dir: Path,
    base: str,
    *,
    registry_url: str | None = None,
    manifest: Path | None = None,
    head: SpecCatalog | None = None,
) -> CheckResult:
    """Check the specs under `specs_dir` (working tree) against their version at git ref `base`.

    `head` is the already loaded catalog of `specs_dir`, if the caller has it. Raises CheckError
    when git cannot provide the base. Invalid specs come back as `problems`, with no comparison made.
    """
    head = head if head is not None else load_catalog([specs_dir])
    result = CheckResult(base=base)
    if head.problems:
        result.problems = head.problems
        return result
    git = Git.of(specs_dir)
    commit = git.commit(base)
    specs_rel = git.relative(specs_dir)
    manifest_path = manifest if manifest is not None else git.root / MANIFEST_PATH
    with tempfile.TemporaryDirectory(prefix="tardis-check-") as tmp:
        base_root = Path(tmp) / "base"
        base_catalog = _base_catalog(git, commit, specs_rel, base_root)
        for product in head.products:
            old = _by_name(base_catalog, product.name)
            if old is None:
                result.products.append(_added(product))
                continue
            checked = _changed(git, commit, base_root, head, old, product, registry_url, manifest_path, tmp)
            if checked is None:
                result.unchanged += 1
            else:
                result.products.append(checked)
        head_names = {product.name for product in head.products}
        for old in base_catalog.products:
            if old.name not in head_names:
                result.products.append(_removed(git, base_root, head, old, manifest_path))
    return result


# --- git -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Git:
    """The git repository holding the specs."""

    root: Path

    @classmethod
    def of(cls, path: Path) -> Git:
        """The repository containing `path`; CheckError when there is none."""
        folder = path if path.is_dir() else path.parent
        top = _run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], "find the git repository")
        return cls(Path(top.decode().strip()).resolve())

    def run(self, *args: str, what: str) -> bytes:
        """Output of `git <args>` in the repository; CheckError naming `what` on failure."""
        return _run(["git", "-C", str(self.root), *args], what)

    def commit(self, ref: str) -> str:
        """The commit id of `ref`; CheckError when it names no commit."""
        if ref.startswith("-"):
            raise CheckError(f"base {ref!r} is not a git ref")
        out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"resolve base {ref!r}")
        return out.decode().strip()

    def relative(self, path: Path) -> str:
        """`path` relative to the repository root, in git's `/` form."""
        try:
            return Path(os.path.relpath(path.resolve(), self.root)).as_posix()
        except ValueError as error:
            raise CheckError(f"{path} is not inside the git repository at {self.root}") from error

    def extract(self, commit: str, rel: str, into: Path) -> bool:
        """Write the tree `rel` (file or folder) at `commit` under `into`; False when it is not there."""
        listed = self.run("ls-tree", "--name-only", commit, "--", rel, what=f"list {rel} at {commit[:12]}")
        if not listed.strip():
            return False
        data = self.run("archive", "--format=tar", commit, "--", rel, what=f"read {rel} at {commit[:12]}")
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(into, filter="data")
        return True

    def history(self, commit: str, rel: str) -> list[str]:
        """Commits up to `commit` that changed file `rel`, oldest first."""
        out = self.run(
            "log", "--format=%H", "--reverse", commit, "--", rel, what=f"read the history of {rel}"
        )
        return out.decode().split()


def _run(args: list[str], what: str) -> bytes:
    try:
        done = subprocess.run(args, capture_output=True, check=False)
    except OSError as error:
        raise CheckError(f"cannot {what}: git is not available ({error.strerror})") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"git exited with {done.returncode}"
        if "--verify" in args and not detail:
            reason = "no such commit, branch or tag"
        raise CheckError(f"cannot {what}: {reason}")
    return done.stdout


# --- products --------------------------------------------------------------------------------------


def _base_catalog(git: Git, commit: str, specs_rel: str, base_root: Path) -> SpecCatalog:
    if not git.extract(commit, specs_rel, base_root):
        return SpecCatalog(products=[], model=None, problems=[])
    # Specs that were invalid at the base are simply not compared (their problems are history).
    return load_catalog([base_root / specs_rel])


def _by_name(catalog: SpecCatalog, name: str) -> DataProduct | None:
    return next((product for product in catalog.products if product.name == name), None)


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it (as CI annotations want)."""
    try:
        relative = Path(os.path.relpath(path, Path.cwd()))
    except ValueError:
        return str(path)
    return str(path) if relative.as_posix().startswith("../") else relative.as_posix()


def _line(product: DataProduct, loc: tuple[str | int, ...]) -> int:
    try:
        doc = parse_yaml(product.spec_path.read_text(encoding="utf-8-sig"))
    except (OSError, YamlSyntaxError):
        return 1
    return doc.locate(loc, at_key=True)[0]


def _added(product: DataProduct) -> ProductResult:
    path = display_path(product.spec_path)
    return ProductResult(
        product.name,
        path,
        "added",
        new_version=product.version,
        findings=[Finding(path, 1, "notice", f"new data product {product.name} {product.version}")],
    )


def _removed(git: Git, base_root: Path, head: SpecCatalog, old: DataProduct, manifest: Path) -> ProductResult:
    original = git.root / os.path.relpath(old.spec_path, base_root)
    path = display_path(original)
    consumers = find_consumers(head, old.name, manifest, product=old)
    result = ProductResult(old.name, path, "removed", old_version=old.version, consumers=consumers)
    if consumers:
        names = ", ".join(f"{c.name} ({c.owner})" for c in consumers)
        message = f"data product {old.name} removed but still consumed by: {names}"
        result.findings.append(Finding(path, 1, "error", message))
    else:
        result.findings.append(
            Finding(path, 1, "warning", f"data product {old.name} removed (no known consumers)")
        )
    return result


def _changed(
    git: Git,
    commit: str,
    base_root: Path,
    head: SpecCatalog,
    old: DataProduct,
    new: DataProduct,
    registry_url: str | None,
    manifest: Path,
    tmp: str,
) -> ProductResult | None:
    changes = diff_products(old, new)
    schema_changed = _schema_changed(old, new)
    if not changes and not schema_changed and old.version == new.version:
        return None
    path = display_path(new.spec_path)
    result = ProductResult(new.name, path, "changed", old.version, new.version, changes)
    result.consumers = find_consumers(head, new.name, manifest)
    if schema_changed:
        result.schema = _schema_check(git, commit, base_root, old, new, registry_url, Path(tmp))
    required = result.required
    bump = check_bump(old.version, new.version, required)
    result.bump = bump
    version_line = _line(new, ("version",))
    if not bump.ok:
        message = bump.message
        if bump.blocking and result.consumers and required == "major":
            message += "; it affects " + ", ".join(f"{c.name} ({c.owner})" for c in result.consumers)
        severity: Severity = "error" if bump.blocking else "warning"
        result.findings.append(Finding(path, version_line, severity, message))
    given = -1 if bump.given == "downgrade" else BUMP_ORDER[bump.given]  # a downgrade pays for nothing
    for change in changes:
        # the changes the version bump does not cover are the errors; the others are notices
        unpaid = bump.blocking and change.bump != "patch" and BUMP_ORDER[change.bump] > given
        severity = "error" if unpaid else "notice"
        result.findings.append(
            Finding(path, change.line, severity, f"{change.classification}: {change.message}")
        )
    if result.schema is not None and not result.schema.compatible:
        line = _line(new, ("source", "kafka", "compatibility"))
        if new.source.kafka is not None and "compatibility" not in _kafka_keys(new):
            line = _line(new, ("source", "kafka", "schema"))
        for problem in result.schema.problems:
            message = f"Kafka schema not {result.schema.mode} compatible: {problem}"
            result.findings.append(Finding(path, line, "error", message))
    return result


def _kafka_keys(product: DataProduct) -> set[str]:
    kafka = product.source.kafka
    return set(kafka.model_fields_set) if kafka is not None else set()


def _schema_file(product: DataProduct) -> Path | None:
    kafka = product.source.kafka
    if kafka is None or kafka.schema_ is None:
        return None
    return product.resolve_path(kafka.schema_)


def _schema_changed(old: DataProduct, new: DataProduct) -> bool:
    before, after = _schema_file(old), _schema_file(new)
    if before is None or after is None:
        return False
    if old.source.kafka and new.source.kafka and old.source.kafka.format != new.source.kafka.format:
        return True
    try:
        return before.read_bytes() != after.read_bytes()
    except OSError:
        return True


def _schema_check(
    git: Git,
    commit: str,
    base_root: Path,
    old: DataProduct,
    new: DataProduct,
    registry_url: str | None,
    tmp: Path,
) -> SchemaCheck:
    assert old.source.kafka is not None and new.source.kafka is not None
    kafka = new.source.kafka
    mode = kafka.compatibility
    new_file = _schema_file(new)
    assert new_file is not None
    if registry_url:
        subject = kafka.registry_subject or f"{kafka.topic}-value"
        try:
            text = new_file.read_text(encoding="utf-8")
            verdict = RegistryClient(registry_url).check_compatibility(
                subject, text, FORMAT_SCHEMA_TYPES[kafka.format]
            )
        except (OSError, RegistryError) as error:
            return SchemaCheck(kafka.format, mode, "registry", [subject], [str(error)])
        problems = [] if verdict.is_compatible else verdict.messages or ["the registry says incompatible"]
        return SchemaCheck(kafka.format, mode, "registry", [subject], problems)
    if old.source.kafka.format != kafka.format:
        problems = (
            [] if mode == "NONE" else [f"format changed from {old.source.kafka.format} to {kafka.format}"]
        )
        return SchemaCheck(kafka.format, mode, "git", ["base"], problems)
    old_file = _schema_file(old)
    assert old_file is not None
    old_rel = Path(os.path.relpath(old_file, base_root)).as_posix()
    if mode.endswith("_TRANSITIVE"):
        earlier, labels = _history(git, commit, old_rel, tmp)
    else:
        earlier, labels = [old_file], [f"the base ({commit[:12]})"]
    if not earlier:
        earlier, labels = [old_file], [f"the base ({commit[:12]})"]
    try:
        found = check_files(kafka.format, mode, new_file, earlier, labels)
        problems = [str(incompatibility) for incompatibility in found]
    except ValueError as error:
        problems = [str(error)]
    return SchemaCheck(kafka.format, mode, "git", labels, problems)


def _history(git: Git, commit: str, rel: str, tmp: Path) -> tuple[list[Path], list[str]]:
    """Every distinct version of schema file `rel` up to `commit`, oldest first, with its folder beside it."""
    folder = Path(rel).parent.as_posix()
    files: list[Path] = []
    labels: list[str] = []
    last: bytes | None = None
    for index, version in enumerate(git.history(commit, rel)):
        into = tmp / "history" / f"{index:04d}"
        if not git.extract(version, folder if folder != "." else rel, into):
            continue
        file = into / rel
        if not file.is_file():
            continue
        content = file.read_bytes()
        if content == last:
            continue
        last = content
        files.append(file)
        labels.append(f"version {len(files)} ({version[:12]})")
    return files, labels
