"""`tardis test <product>`: the local proof before a PR, in namespaces of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.localtest.report import markdown, print_report

DEFAULT_REPORT_DIR = "test-reports"  # under the local home (.tardis/)


def test_product(
    product: Annotated[str, typer.Argument(help="The data product to run, by name.")],
    specs: Annotated[
        Path | None,
        typer.Option("--specs", help="Spec folder (default: the project's product_specs/).", file_okay=False),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the run's tables for inspection (printed how to query).")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Markdown report file (default: .tardis/test-reports/<product>.md).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Land, standardize and model a product with its checks on the local platform, in namespaces of
    its own (the shared tables are never touched), from its topic or files, else synthetic records.

    Prints rows per table, every check, five std rows (PII hashed) and the time of each step; exit 1
    if anything failed.
    """
    from tardis_dagster.tooling.localtest.proof import ProofError, prove  # Dagster loads only here

    console = Console(highlight=False, soft_wrap=True)
    settings = get_settings()
    catalog = load_or_exit(specs or settings.specs_dir, console)
    try:
        result = prove(
            catalog, product, settings, keep=keep, progress=lambda m: console.print(m, markup=False)
        )
    except ProofError as error:
        console.print(f"tardis test: {error}", markup=False)
        raise typer.Exit(2) from None
    print_report(result, console)
    path = report or settings.home / DEFAULT_REPORT_DIR / f"{product}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(result), encoding="utf-8")
    console.print(f"report written to {path}", markup=False)
    if keep:
        namespaces = ", ".join(f"{result.prefix}{layer}" for layer in ("raw", "std", "stg", "vault", "mart"))
        console.print(
            f"kept: namespaces {namespaces}; query them through Spark Connect, e.g.\n"
            f"  pyspark --remote {settings.spark_remote}\n"
            f"  >>> spark.table('{result.prefix}std.{product}').show()",
            markup=False,
        )
    if result.failed:
        raise typer.Exit(1)
