"""The `tardis` command line: one sub-module per command group, assembled here."""

from __future__ import annotations

import typer

from tardis_dagster.core.settings import ProjectDirError
from tardis_dagster.tooling.cli import check, contract, demo, local, new, pr, specs, stream
from tardis_dagster.tooling.cli.generate import generate
from tardis_dagster.tooling.cli.test_product import test_product

app = typer.Typer(
    name="tardis",
    help="Tardis: describe a data product in one YAML file; the platform does the rest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("validate")(specs.validate)
app.command("schema")(specs.schema)
app.command("stream")(stream.stream)
app.command("check")(check.check)
app.command("generate")(generate)
app.command("new")(new.new)
app.command("test")(test_product)
app.command("pr")(pr.pr)
app.add_typer(local.app, name="local")
app.add_typer(demo.app, name="demo")
app.add_typer(contract.app, name="contract")


def main() -> None:
    """Entry point of the `tardis` console script."""
    try:
        app()
    except ProjectDirError as error:  # run outside a project: say how to name one, no traceback
        typer.echo(f"tardis: {error}", err=True)
        raise SystemExit(2) from None
