"""`tardis contract export|import`: a product spec as an Open Data Contract Standard v3 document, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.specs.problems import suggestion
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.contracts import odcs

app = typer.Typer(help="Export specs as ODCS v3 data contracts, or import one.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


@app.command("export")
def export(
    product: Annotated[str, typer.Argument(help="Name of the data product.", show_default=False)],
    specs: Annotated[Path | None, typer.Option(help="Spec folder (default: product_specs/).")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the contract here (default: print it).", dir_okay=False),
    ] = None,
) -> None:
    """Write the ODCS v3 contract of PRODUCT, checked against the official ODCS JSON Schema."""
    catalog = load_or_exit(specs, console)
    try:
        spec = catalog.by_name(product)
    except KeyError:
        names = [p.name for p in catalog.products]
        console.print(
            f"tardis: no data product named {product!r} ({suggestion(product, names, what='products')})",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1) from None
    document = odcs.export_contract(spec)
    problems = odcs.contract_problems(document)
    if problems:  # our own export breaking the standard is a bug, not a user error
        for line in problems:
            console.print(
                f"tardis: internal error: exported contract is not valid ODCS: {line}", markup=False
            )
        raise typer.Exit(2)
    _write(odcs.contract_yaml(document), out)


@app.command("import")
def import_(
    contract: Annotated[
        Path, typer.Argument(help="ODCS v3 contract (YAML or JSON).", dir_okay=False, show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the spec here (default: print it). Relative paths in it (schema files, sql_file) "
            "resolve against this file's folder.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Turn an ODCS v3 contract into a data product spec that `tardis validate` checks."""
    try:
        result = odcs.load_contract(contract)
    except odcs.ContractFileError as error:
        for problem in error.problems:
            console.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1) from None
    for note in result.notes:
        console.print(f"note: {contract}:{note}", markup=False, highlight=False)
    _write(odcs.product_yaml(result.product), out)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        console.print(f"tardis: cannot write {out}: {error.strerror}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"wrote {out}", markup=False, highlight=False)
