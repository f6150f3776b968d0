"""`tardis pr <product>`: branch, commit the product's files only, push, and open (or describe) the PR."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.cli.test_product import DEFAULT_REPORT_DIR
from tardis_dagster.tooling.pull_request.branch import GitError, Repository, open_pull_request
from tardis_dagster.tooling.pull_request.description import ProductFiles, describe

GENERATED = ("models/generated", "macros/generated")  # what `tardis generate` writes in the dbt project


def pr(
    product: Annotated[str, typer.Argument(help="The data product to propose, by name.")],
    specs: Annotated[
        Path | None,
        typer.Option("--specs", help="Spec folder (default: the project's product_specs/).", file_okay=False),
    ] = None,
    dbt_project: Annotated[
        Path | None,
        typer.Option(
            "--dbt-project",
            help="dbt project `tardis generate` writes into (default: the project's dbt_project/).",
            file_okay=False,
        ),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch (default: tardis/<product>).")
    ] = None,
    base: Annotated[
        str | None, typer.Option("--base", help="Branch the PR goes into (default: the current branch).")
    ] = None,
    remote: Annotated[str, typer.Option("--remote", help="Remote to push to.")] = "origin",
    test_report: Annotated[
        Path | None,
        typer.Option(
            "--test-report",
            help="`tardis test` report (default: .tardis/test-reports/<product>.md).",
            dir_okay=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Description file (default: <repo>/.tardis/pr/<product>.md).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Put a product on a branch of its own: commit its spec, schema and generated dbt models (nothing
    else), push, and write the PR description (what it creates, `tardis check` against the base, the
    `tardis test` report, owners); with `gh` on PATH, open the pull request."""
    console = Console(highlight=False, soft_wrap=True)
    settings = get_settings()
    specs_dir = (specs or settings.specs_dir).resolve()
    dbt_project = dbt_project or settings.dbt_project_dir
    catalog = load_or_exit(specs_dir, console)
    try:
        chosen = catalog.by_name(product)
    except KeyError:
        console.print(f"tardis pr: no valid data product named '{product}' in {specs_dir}", markup=False)
        raise typer.Exit(2) from None
    report_path = test_report or settings.home / DEFAULT_REPORT_DIR / f"{product}.md"
    tested = report_path.read_text(encoding="utf-8") if report_path.is_file() else None
    if tested is None:
        console.print(
            f"note: no tardis test report at {report_path}: run `tardis test {product}` first", markup=False
        )
    elif "FAILED" in tested.splitlines()[0]:
        console.print(
            f"note: the tardis test report says {tested.splitlines()[0].split(': ', 1)[-1]}", markup=False
        )
    try:
        repo = Repository.of(specs_dir)
        _propose(
            repo,
            chosen,
            catalog,
            specs_dir,
            dbt_project.resolve(),
            (branch, base, remote),
            tested,
            out,
            console,
        )
    except GitError as error:
        console.print(f"tardis pr: {error}", markup=False)
        raise typer.Exit(1) from None


def _propose(
    repo: Repository,
    product: DataProduct,
    catalog: SpecCatalog,
    specs_dir: Path,
    dbt_project: Path,
    where: tuple[str | None, str | None, str],
    tested: str | None,
    out: Path | None,
    console: Console,
) -> None:
    from tardis_dagster.tooling.codegen.generate import write
    from tardis_dagster.tooling.contracts.preflight import CheckError, run_check
    from tardis_dagster.tooling.contracts.report import print_text

    branch, base, remote = where
    write(catalog, dbt_project)  # the models are up to date with the specs before they are committed
    files = _product_files(repo, product, dbt_project)
    if not files.all:
        raise GitError(f"{product.name} has no changes to propose")
    base_branch = base or repo.current_branch() or "main"
    base_commit = repo.head()
    # The check report against where the branch starts (the working tree holds the product).
    recorder = Console(record=True, file=io.StringIO(), width=110, highlight=False, color_system=None)
    try:
        print_text(run_check(specs_dir, base_commit), recorder)
    except (CheckError, ValueError) as error:
        recorder.print(f"tardis check could not run: {error}", markup=False)
    check_text = recorder.export_text()
    name = branch or f"tardis/{product.name}"
    repo.switch_to_new_branch(name)
    commit = repo.commit_only(
        files.all, f"New data product {product.name}: spec, schema and generated models"
    )
    description = describe(product, files, repo.root, check_text, tested, name, base_branch)
    path = out or repo.root / ".tardis" / "pr" / f"{product.name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(description, encoding="utf-8")
    console.print(f"committed {commit[:12]} on branch {name}:", markup=False)
    for file in repo.files_of(commit):
        console.print(f"  {file}", markup=False)
    if repo.remote(remote) is None:
        console.print(f"no remote '{remote}': push the branch {name} yourself", markup=False)
    else:
        repo.push(remote, name)
        console.print(f"pushed {name} to {remote}", markup=False)
    url = open_pull_request(repo.root, f"New data product {product.name}", path, base_branch, name)
    if url is None:
        console.print(
            f"gh is not on PATH: open a pull request from {name} into {base_branch} with the description "
            f"{os.path.relpath(path)}",
            markup=False,
        )
    else:
        console.print(f"pull request: {url}", markup=False)


def _product_files(repo: Repository, product: DataProduct, dbt_project: Path) -> ProductFiles:
    """The spec, its schema file or sql_file, and the generated dbt files that changed."""
    side = []
    kafka = product.source.kafka
    if kafka is not None and kafka.schema_:
        side.append(product.resolve_path(kafka.schema_))
    if product.source.sql_file:
        side.append(product.resolve_path(product.source.sql_file))
    generated = repo.changed([dbt_project / folder for folder in GENERATED])
    spec = Path(os.path.realpath(product.spec_path))
    return ProductFiles(spec, [Path(os.path.realpath(p)) for p in side], generated)
