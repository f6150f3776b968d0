"""`tardis new`: a new data product from a few answers, by prompts or from an answers file (web forms).

The spec (and schema file) it writes is validated by `tardis validate`'s own loader before anything
is written; afterwards the product is validated in its tree and `tardis generate` writes its dbt
models, so nothing is left to remember.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.scaffold.answers import load_answers, split_list
from tardis_dagster.tooling.scaffold.new_product import NewContext, Outcome, from_answers


def new(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Answers file (YAML) to use instead of prompts, e.g. from a web form.",
            dir_okay=False,
        ),
    ] = None,
    specs: Annotated[
        Path | None, typer.Option("--specs", help="Spec folder. Default: product_specs/")
    ] = None,
    dbt_project: Annotated[
        Path | None,
        typer.Option(
            "--dbt-project",
            help="dbt project `tardis generate` writes into (default: the project's dbt_project/).",
            file_okay=False,
        ),
    ] = None,
    registry_url: Annotated[
        str | None,
        typer.Option("--registry-url", help="Schema registry (default: TARDIS_SCHEMA_REGISTRY_URL)."),
    ] = None,
    tribe: Annotated[str | None, typer.Option("--tribe", help="Owning tribe.")] = None,
    squad: Annotated[str | None, typer.Option("--squad", help="Owning squad.")] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help='Owner contact: "#channel" or email.')
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Product name (snake_case).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What the product holds.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="kafka | files | sql.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="kafka: the topic.")] = None,
    uri: Annotated[str | None, typer.Option("--uri", help="files: the folder or s3:// prefix.")] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="kafka: json|avro|protobuf; files: csv|json|parquet.")
    ] = None,
    sql: Annotated[str | None, typer.Option("--sql", help="sql: the query.")] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="cron, on_upstream or streaming.")
    ] = None,
    load_type: Annotated[
        str | None, typer.Option("--load-type", help="append | full | upsert | scd2.")
    ] = None,
    key: Annotated[str | None, typer.Option("--key", help="Key column(s), comma-separated.")] = None,
    version_by: Annotated[
        str | None, typer.Option("--version-by", help="Column deciding which record wins.")
    ] = None,
    partition_by: Annotated[
        str | None, typer.Option("--partition-by", help="Partitions, comma-separated, e.g. day(paid_at).")
    ] = None,
    pii: Annotated[str | None, typer.Option("--pii", help="PII columns, comma-separated.")] = None,
) -> None:
    """Create a data product in product_specs/<tribe>/: asks (or reads) the answers, infers the schema
    from the topic, files or query, validates, writes, and generates the dbt models."""
    console = Console(highlight=False, soft_wrap=True)
    settings = get_settings()
    root = specs or settings.specs_dir
    dbt_project = dbt_project or settings.dbt_project_dir
    if not (root / "_model.yaml").is_file():
        console.print(
            f"tardis new: {root} holds no _model.yaml: run it from the repository root or pass --specs",
            markup=False,
        )
        raise typer.Exit(2)
    flags: dict[str, tuple[str, Any]] = {}
    for field, flag, value in (
        ("tribe", "--tribe", tribe),
        ("squad", "--squad", squad),
        ("contact", "--contact", contact),
        ("name", "--name", name),
        ("description", "--description", description),
        ("source", "--source", source),
        ("topic", "--topic", topic),
        ("uri", "--uri", uri),
        ("sql", "--sql", sql),
        ("schedule", "--schedule", schedule),
        ("load_type", "--load-type", load_type),
        ("format", "--format", file_format),
        ("key", "--key", _listed(key)),
        ("version_by", "--version-by", version_by),
        ("partition_by", "--partition-by", _listed(partition_by)),
        ("pii", "--pii", _listed(pii)),
    ):
        if value is not None:
            flags[field] = (flag, value)
    context = NewContext(root, settings, registry_url=registry_url)
    # No answers file on a terminal: ask (flags answer their questions ahead); otherwise read only.
    if answers is None and sys.stdin.isatty():
        from tardis_dagster.tooling.scaffold.prompts import ask_and_create

        try:
            outcome = ask_and_create(
                context, console, {field: value for field, (_flag, value) in flags.items()}
            )
        except (EOFError, KeyboardInterrupt):
            console.print("\ntardis new: cancelled; nothing was written", markup=False)
            raise typer.Exit(130) from None
    else:
        outcome = from_answers(load_answers(answers, flags), context)
    _report(outcome, console)
    if outcome.problems:
        raise typer.Exit(1)
    _validate_and_generate(outcome, root, dbt_project, console)


def _listed(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return split_list(text)


def _report(outcome: Outcome, console: Console) -> None:
    for problem in outcome.problems:
        console.print(str(problem), markup=False)
    if outcome.problems:
        count = len(outcome.problems)
        console.print(f"{count} problem{'s' * (count != 1)}; nothing was written", markup=False)
        return
    for path in outcome.written:
        console.print(f"wrote {os.path.relpath(path)}", markup=False)
    for candidate in outcome.unconfirmed_pii:
        console.print(
            f"note: '{candidate.column}' may be personal data ({candidate.reason}); it is not marked pii: "
            "add it to pii: (or set pii: true in the spec) if it is",
            markup=False,
        )


def _validate_and_generate(outcome: Outcome, root: Path, dbt_project: Path, console: Console) -> None:
    """`tardis validate` on the new spec, then `tardis generate` for the tree."""
    from tardis_dagster.tooling.codegen.generate import write

    assert outcome.spec_path is not None
    catalog = load_catalog([outcome.spec_path])
    for problem in catalog.problems:
        console.print(str(problem), markup=False)
    if catalog.problems:
        raise typer.Exit(1)
    console.print(f"tardis validate {os.path.relpath(outcome.spec_path)}: ok", markup=False)
    tree = load_catalog([root])
    if tree.problems:
        console.print(
            f"tardis generate skipped: {len(tree.problems)} problem(s) in other specs "
            "(run `tardis validate`)",
            markup=False,
        )
        return
    result = write(tree, dbt_project)
    console.print(
        f"tardis generate: {len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed in {os.path.relpath(dbt_project)}",
        markup=False,
    )
