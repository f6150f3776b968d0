"""Loading the spec catalog for a CLI command: on invalid specs, print the problems and exit 1."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import SpecCatalog, load_catalog


def load_or_exit(specs: Path | None, console: Console) -> SpecCatalog:
    """The catalog of `specs` (default: the project's product_specs/), or exit 1 listing its problems."""
    catalog = load_catalog([specs or get_settings().specs_dir])
    if catalog.problems:
        for problem in catalog.problems:
            console.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1)
    return catalog
