"""`tardis check`: the pre-flight contract check of changed specs against a git base."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.contracts.preflight import CheckError, run_check
from tardis_dagster.tooling.contracts.report import annotation_lines, json_text, print_text


class OutputFormat(StrEnum):
    """How to print the result."""

    text = "text"
    json = "json"
    lines = "lines"


def check(
    base: Annotated[
        str, typer.Option("--base", help="Git ref to compare with, e.g. origin/main or HEAD~1.")
    ] = "HEAD",
    specs: Annotated[
        Path | None,
        typer.Option("--specs", help="Spec folder (default: the project's product_specs/).", file_okay=False),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text: tables and file:line lines; json: for machines; lines: file:line lines only.",
        ),
    ] = OutputFormat.text,
    registry_url: Annotated[
        str | None,
        typer.Option(
            "--registry-url",
            envvar="TARDIS_SCHEMA_REGISTRY_URL",
            help="Schema registry to ask about Kafka schema compatibility instead of checking locally.",
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="dbt manifest (default: dbt_project/target/manifest.json in the repo).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check changed contracts against a git base: breaking changes, version bumps, consumers, Kafka schemas.

    Exit 1 when anything blocks: invalid specs, a breaking (or additive) change without the needed
    version bump, an incompatible Kafka schema, or a removed product that is still consumed.
    """
    console = Console(highlight=False)
    specs_dir = specs or get_settings().specs_dir
    head = load_or_exit(specs_dir, console)  # invalid specs: the validator's lines, exit 1
    try:
        result = run_check(specs_dir, base, registry_url=registry_url, manifest=manifest, head=head)
    except (CheckError, ValueError) as error:
        typer.echo(f"tardis check: {error}", err=True)
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        typer.echo(json_text(result))
    elif output is OutputFormat.lines:
        for line in annotation_lines(result):
            typer.echo(line)
    else:
        print_text(result, console)
    if result.blocking:
        raise typer.Exit(1)
