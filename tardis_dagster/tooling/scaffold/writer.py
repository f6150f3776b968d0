"""The new product's files: the spec YAML (and its schema file), validated before anything is written.

The spec is rendered the way the demo specs are written (one flow mapping per column), with every
free text quoted by a YAML emitter, never pasted. Validation is `tardis validate`'s own loader on a
copy of the spec tree in a temporary folder with the new files in place: relative paths resolve the
same there (a local files `uri` is checked against the folder holding the tree), so the verdict is
the one the real tree would get. Only a clean verdict writes into the real tree: schema file first,
spec last, each by an atomic rename, so a failure leaves no half-written product behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tardis_dagster.core.specs import load_catalog
from tardis_dagster.core.specs.identifiers import is_identifier
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.tooling.scaffold.answers import Answers
from tardis_dagster.tooling.scaffold.existing import Existing
from tardis_dagster.tooling.scaffold.inferred_schema import InferredSchema

HEADER = "# yaml-language-server: $schema=../.schema/data-product.schema.json\n"


@dataclass(frozen=True)
class ProductFiles:
    """The files of a new product, by path inside the spec tree, and the spec's own path."""

    spec: Path  # relative to the spec tree: <tribe>/<name>.yaml
    texts: dict[Path, str]  # relative path -> text (schema file first, spec last)


def _text(value: str) -> str:
    """A YAML scalar for free text (quoted by the emitter when it must be: `#`, `: `, newlines...)."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=10**9, default_style=None)
    dumped = dumped.removesuffix("\n").removesuffix("\n...")
    return dumped if "\n" not in dumped else json.dumps(value, ensure_ascii=False)


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _word(value: str) -> str:
    """A value safe as a bare word inside `{ }` and `[ ]` (identifiers), else quoted."""
    return value if is_identifier(value) else _quoted(value)


def _names(values: list[str]) -> str:
    return "[" + ", ".join(_word(value) for value in values) + "]"


def render_files(answers: Answers, schema: InferredSchema, existing: Existing) -> ProductFiles:
    """The spec (and schema file) for ``answers`` and the inferred ``schema``."""
    tribe, name = answers.tribe, answers.name
    texts: dict[Path, str] = {}
    lines = [
        HEADER + "# Made by `tardis new`. Edit it as you like; `tardis validate` checks it.",
        "apiVersion: tardis/v1",
        "kind: DataProduct",
        f"name: {name}",
        f"version: {answers.version}",
        f"description: {_text(answers.description)}",
        "owner:",
        f"  tribe: {tribe}",
        f"  squad: {answers.squad}",
        f"  contact: {_quoted(answers.contact)}",
    ]
    if answers.stakeholders:
        lines.append("stakeholders:")
        lines += [f"  - {_quoted(contact)}" for contact in answers.stakeholders]
    lines += ["", "source:"]
    if answers.source == "kafka":
        lines += ["  kafka:", f"    topic: {_quoted(answers.topic or '')}", f"    format: {schema.format}"]
        if schema.schema_file is not None:
            relative = Path("schemas") / f"{name}{schema.schema_file.suffix}"
            texts[Path(tribe) / relative] = schema.schema_file.text
            lines.append(f"    schema: {relative.as_posix()}")
        if schema.registry_subject is not None:
            lines.append(f"    registry_subject: {_quoted(schema.registry_subject)}")
        if schema.format == "protobuf" and schema.message:
            lines.append(f"    message: {schema.message}")
    elif answers.source == "files":
        lines += ["  files:", f"    uri: {_quoted(files_uri(answers.uri or '', existing.root / tribe))}"]
        lines.append(f"    format: {schema.format}")
        if schema.format == "csv":
            lines.append("    options: {header: true}")
    else:
        lines += ["  sql: |", *(f"    {line}".rstrip() for line in _sql_lines(answers.sql or ""))]
    lines += ["", f"schedule: {_quoted(answers.schedule)}", "", "load:", f"  type: {answers.load_type}"]
    if answers.key:
        lines.append(f"  key: {_names(answers.key)}")
    if answers.version_by:
        lines.append(f"  version_by: {answers.version_by}")
    if answers.partition_by:
        lines.append(f"  partition_by: {_names(answers.partition_by)}")
    lines += ["", "schema:"]
    pii = set(answers.pii)
    for column in schema.columns:
        parts = [f"name: {column.name}", f"type: {_word(column.type)}"]
        if column.required or column.name in answers.key:
            parts.append("required: true")
        if column.name in pii:
            parts.append("pii: true")
        lines.append("  - {" + ", ".join(parts) + "}")
    quality = _quality(answers, schema)
    if quality:
        lines += ["", "quality:", *quality]
    if answers.hubs:
        lines += ["", "vault:", "  hubs:"]
        lines += [f"    - {{hub: {hub}, key: {_names(existing.hubs[hub])}}}" for hub in answers.hubs]
    spec = Path(tribe) / f"{name}.yaml"
    texts[spec] = "\n".join(lines) + "\n"
    return ProductFiles(spec, texts)


def files_uri(written: str, spec_folder: Path) -> str:
    """A local folder as the spec writes it (relative to the spec's folder); remote URIs as given."""
    if "://" in written:
        return written
    relative = os.path.relpath(Path(written).absolute(), spec_folder.absolute())
    return relative.rstrip("/") + "/"


def _sql_lines(sql: str) -> list[str]:
    return [line.rstrip() for line in sql.strip("\n").rstrip().splitlines()]


def _quality(answers: Answers, schema: InferredSchema) -> list[str]:
    """Starter checks any owner wants: required columns are set, keys are unique per version."""
    required = [c.name for c in schema.columns if c.required or c.name in answers.key]
    rules = []
    if required:
        rules.append(f"  - not_null: {_names(required)}")
    if answers.key and answers.load_type in ("upsert", "full"):
        rules.append(f"  - unique: {_names(answers.key)}")
    return rules


def validate_staged(files: ProductFiles, existing: Existing) -> list[Problem]:
    """`tardis validate`'s problems for the new files, on a copy of the tree (paths as in the real one)."""
    root = existing.root
    with tempfile.TemporaryDirectory(prefix="tardis-new-") as folder:
        staged_root = Path(folder) / root.name
        shutil.copytree(root, staged_root, ignore=shutil.ignore_patterns(".*"), symlinks=True)
        for relative, text in files.texts.items():
            target = staged_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        catalog = load_catalog([staged_root / files.spec])
        shown_root = Path(os.path.relpath(root)) if not os.path.relpath(root).startswith("..") else root
        problems = []
        for problem in catalog.problems:
            path = Path(os.path.abspath(problem.path))  # noqa: PTH100 - the staged path, not resolved
            inside = path.is_relative_to(staged_root)
            shown = shown_root / path.relative_to(staged_root) if inside else problem.path
            problems.append(
                Problem(shown, problem.line, problem.col, problem.field, problem.message, problem.fix)
            )
        return problems


def write_files(files: ProductFiles, existing: Existing) -> list[Path]:
    """Write the files into the real tree (atomic renames, spec last); returns the paths written."""
    written: list[Path] = []
    try:
        for relative, text in files.texts.items():
            target = existing.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise FileExistsError(str(target))
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            Path(temporary).replace(target)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
