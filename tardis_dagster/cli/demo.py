"""`tardis demo ...`: seed the demo data of the meal-kit company."""

from __future__ import annotations

import typer

app = typer.Typer(help="Generate demo data for the demo data products.", no_args_is_help=True)
