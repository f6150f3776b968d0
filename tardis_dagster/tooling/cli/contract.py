"""`tardis contract export|import`: a product spec as an Open Data Contract Standard v3 document, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.specs.problems import suggestion
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.contracts import odcs

app = typer.Typer(
    help="Export specs as ODCS v3.1.0 data contracts, or import any ODCS v3 contract.", no_args_is_help=True
)
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
    """Write the ODCS v3.1.0 contract of PRODUCT, checked against the official ODCS v3.1.0 JSON Schema."""
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
            help="Write the spec here (default: print it); a folder when the contract has several schema "
            "objects (one <product>.yaml each). Relative paths in a spec (schema files, sql_file) resolve "
            "against its folder.",
        ),
    ] = None,
    schema_object: Annotated[
        str | None,
        typer.Option("--schema-object", help="Import only this schema object (default: every one)."),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="YAML file with what the contract does not say: tribe, squad, contact, name, source, "
            "schedule, and products.<schema object>.{name, source, schedule}.",
            dir_okay=False,
        ),
    ] = None,
    tribe: Annotated[str | None, typer.Option(help="owner.tribe (wins over the contract's domain).")] = None,
    squad: Annotated[
        str | None, typer.Option(help="owner.squad (wins over the contract's team name).")
    ] = None,
    contact: Annotated[
        str | None, typer.Option(help="owner.contact: a Slack channel or an email address.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Product name, for a contract with one schema object.")
    ] = None,
) -> None:
    """Turn an ODCS v3 contract (v3.0.x, v3.1.0, v3.2.0) into specs that `tardis validate` checks.

    Every field the specs do not carry over is named in a note; what a spec needs and the contract does
    not say is listed all at once, with the flag or answer that supplies each.
    """
    try:
        given = odcs.load_answers(answers) if answers is not None else odcs.ImportAnswers()
        given = given.merged(tribe=tribe, squad=squad, contact=contact, name=name)
        result = odcs.load_contract(contract, given, schema_object)
    except odcs.ContractFileError as error:
        for problem in error.problems:
            console.print(str(problem), markup=False, highlight=False)
        if isinstance(error, odcs.MissingAnswersError) and error.missing:
            console.print(
                f"tardis: {len(error.missing)} answer(s) missing; pass the flags above, or fill in this "
                "answers file and pass it with --answers:",
                markup=False,
                highlight=False,
            )
            console.print(error.answers_template(), markup=False, highlight=False, end="")
        raise typer.Exit(1) from None
    for note in result.notes:
        console.print(f"note: {note.path}:{note.line}:{note.col}: {note.field}: {note.message}", markup=False)
    specs = [(item.product.name, odcs.product_yaml(item.product)) for item in result.products]
    if out is None:
        typer.echo("---\n".join(text for _, text in specs), nl=False)
        return
    if len(specs) == 1 and not out.is_dir():
        _write(specs[0][1], out)
        return
    if out.suffix in (".yaml", ".yml"):
        console.print(
            f"tardis: the contract has {len(specs)} schema objects; pass --out <folder> for one spec each, "
            "or choose one with --schema-object",
            markup=False,
        )
        raise typer.Exit(1)
    for product_name, text in specs:
        _write(text, out / f"{product_name}.yaml")


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
