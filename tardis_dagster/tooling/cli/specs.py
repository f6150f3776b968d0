"""`tardis validate` and `tardis schema`: check specs the way the code location will load them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import global_model_json_schema, load_catalog, product_json_schema

SCHEMA_PATH_IN_SPECS = Path(".schema/data-product.schema.json")  # under the project's specs folder
MODEL_SCHEMA_NAME = "global-model.schema.json"


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Spec files or folders (searched recursively). Default: the project's product_specs/",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check data product specs; print one `path:line:col: field: message (fix)` line per problem."""
    paths = paths or [_shown(get_settings().specs_dir)]
    try:
        catalog = load_catalog(paths)
    except Exception as error:
        typer.echo(f"tardis: internal error: {type(error).__name__}: {error} (please report it)", err=True)
        raise typer.Exit(2) from None
    for problem in catalog.problems:
        typer.echo(str(problem))
    if catalog.problems:
        files = len({problem.path for problem in catalog.problems})
        typer.echo(
            f"{len(catalog.problems)} problem{'s' * (len(catalog.problems) != 1)} "
            f"in {files} file{'s' * (files != 1)}",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"ok: {catalog.summary()}")


def _shown(folder: Path) -> Path:
    """`folder` relative to the current directory when inside it, so problem lines stay short."""
    try:
        return folder.relative_to(Path.cwd().resolve())
    except ValueError:
        return folder


def schema(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the data product JSON Schema (default: product_specs/.schema/).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write the JSON Schema of a spec file (and of `_model.yaml` next to it) for editor autocompletion."""
    out = out or _shown(get_settings().specs_dir) / SCHEMA_PATH_IN_SPECS
    model_out = out.parent / MODEL_SCHEMA_NAME
    try:
        write_schema(out, model_out)
    except OSError as error:
        typer.echo(f"tardis: cannot write {error.filename}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out}")
    typer.echo(f"wrote {model_out}")


def write_schema(product_path: Path, model_path: Path) -> None:
    """Write both JSON Schemas, formatted the same way as the committed copies."""
    product_path.parent.mkdir(parents=True, exist_ok=True)
    product_path.write_text(schema_text(product_json_schema()), encoding="utf-8")
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_text(schema_text(global_model_json_schema()), encoding="utf-8")


def schema_text(schema_dict: dict[str, object]) -> str:
    """A JSON Schema as the text written to disk (stable key order, trailing newline)."""
    return json.dumps(schema_dict, indent=2, ensure_ascii=False) + "\n"
