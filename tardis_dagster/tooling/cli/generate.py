"""`tardis generate`: write the dbt models of the global data model and the SQL products from the specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.codegen.generate import stale, write


def generate(
    specs: Annotated[
        Path | None, typer.Option("--specs", help="Spec folder. Default: the project's product_specs/")
    ] = None,
    dbt_project: Annotated[
        Path | None,
        typer.Option(
            "--dbt-project",
            help="The dbt project folder to write into (default: the project's dbt_project/).",
            file_okay=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the generated files are out of date.")
    ] = False,
) -> None:
    """Generate staging views, hubs, links, satellites, PITs and SQL product models (deterministic)."""
    console = Console()
    dbt_project = dbt_project or get_settings().dbt_project_dir
    catalog = load_or_exit(specs, console)
    if check:
        differing = stale(catalog, dbt_project)
        for path in differing:
            console.print(f"out of date: {path}", markup=False, highlight=False)
        if differing:
            console.print("run `tardis generate` and commit the result", markup=False)
            raise typer.Exit(1)
        console.print("generated dbt models are up to date", markup=False)
        return
    result = write(catalog, dbt_project)
    for path in result.written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    for path in result.removed:
        console.print(f"removed {path}", markup=False, highlight=False)
    console.print(
        f"{len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.removed)} removed",
        markup=False,
    )
