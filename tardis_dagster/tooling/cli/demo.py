"""`tardis demo ...`: seed the demo data of the meal-kit company."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.cli.catalog import load_or_exit
from tardis_dagster.tooling.demo import costs as cost_demo
from tardis_dagster.tooling.demo import files as demo_files

app = typer.Typer(help="Generate demo data for the demo data products.", no_args_is_help=True)
console = Console()


@app.command("files")
def files(
    specs: Annotated[Path | None, typer.Option(help="Spec folder (default: product_specs/).")] = None,
    count: Annotated[int, typer.Option(min=1, help="Files to add per product.")] = 3,
    rows: Annotated[int, typer.Option(min=1, help="Rows per file.")] = 200,
    corrupt: Annotated[
        bool, typer.Option(help="Also drop one file that cannot be parsed (for quarantine).")
    ] = True,
) -> None:
    """Drop new demo files into the folder of every local `files` product (adds to what is there)."""
    catalog = load_or_exit(specs, console)
    products = [
        p
        for p in catalog.products
        if p.source.files is not None
        and not p.source.files.is_remote  # s3:// drops are not ours to write
        and p.name not in cost_demo.PRODUCTS  # `tardis demo costs` writes a consistent bill for these
    ]
    table = Table("product", "format", "folder", "new files", "rows")
    for product in track(products, description="writing demo files", console=console):
        folder = Path(product.files_location())
        first = len(list(folder.glob(f"{product.name}-*"))) if folder.exists() else 0
        written = demo_files.generate(product, folder, files=count, rows_per_file=rows, first_file=first)
        if corrupt and not (folder / f"corrupt.{product.source.files.format}").exists():  # type: ignore[union-attr]
            written.append(demo_files.write_corrupt_file(product, folder))
        table.add_row(
            product.name, product.source.files.format, str(folder), str(len(written)), str(count * rows)
        )  # type: ignore[union-attr]
    console.print(table)


@app.command("produce")
def produce(
    specs: Annotated[Path | None, typer.Option(help="Spec folder (default: product_specs/).")] = None,
    count: Annotated[int, typer.Option(min=1, help="Messages per topic, malformed ones included.")] = 500,
    malformed_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of messages that are malformed (exact count).")
    ] = 0.01,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Only this kafka product (repeatable; default all).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same messages.")] = 7,
) -> None:
    """Produce realistic demo events to the topic of every kafka product on the local broker."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tardis_dagster.tooling.demo import (
        kafka as demo_kafka,  # here: confluent-kafka loads only for this command
    )

    catalog = load_or_exit(specs, console)
    products = [p for p in catalog.products if p.source.kafka is not None]
    if product:
        unknown = sorted(set(product) - {p.name for p in products})
        if unknown:
            names = ", ".join(p.name for p in products) or "none"
            console.print(
                f"not a kafka product: {', '.join(unknown)} (kafka products: {names})", markup=False
            )
            raise typer.Exit(1)
        products = [p for p in products if p.name in product]
    bootstrap = get_settings().kafka_bootstrap
    with Progress(
        TextColumn("producing to {task.fields[bootstrap]}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("produce", total=count * len(products), bootstrap=bootstrap)
        try:
            reports = demo_kafka.produce(
                products,
                bootstrap,
                count=count,
                malformed_share=malformed_share,
                seed=seed,
                on_progress=lambda n: progress.advance(task, n),
            )
        except RuntimeError as error:
            progress.stop()
            console.print(f"error: {error}", markup=False, highlight=False)
            raise typer.Exit(1) from error
    table = Table("topic", "product", "format", "produced", "malformed", "keys", "late", "schema versions")
    for report in reports:
        table.add_row(
            report.topic,
            report.product,
            report.format,
            str(report.produced),
            str(report.malformed),
            str(report.keys),
            str(report.late),
            ", ".join(f"v{v}" for v in report.schema_versions),
        )
    console.print(table)


@app.command("costs")
def costs(
    specs: Annotated[Path | None, typer.Option(help="Spec folder (default: product_specs/).")] = None,
    month: Annotated[str, typer.Option(help="Last billing month, YYYY-MM.")] = "2026-10",
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of history, last one included.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bill.")] = 7,
) -> None:
    """Write a consistent AWS bill (CUR 2.0 and FOCUS), OpenCost allocations and job telemetry."""
    from datetime import datetime

    try:
        last = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        console.print(f"--month must look like 2026-10, not {month!r}", markup=False)
        raise typer.Exit(1) from None
    catalog = load_or_exit(specs, console)
    missing = [name for name in cost_demo.PRODUCTS if name not in {p.name for p in catalog.products}]
    if missing:
        console.print(f"no spec for the cost product(s) {', '.join(missing)}", markup=False)
        raise typer.Exit(1)
    bill = cost_demo.generate(catalog.products, month=last, months=months, seed=seed)
    written = cost_demo.write_files(bill, {p.name: p for p in catalog.products})
    table = Table("product", "files", "rows", "folder")
    counts = {"aws_cur": bill.cur, "focus_costs": bill.focus, "k8s_allocations": bill.allocations}
    counts["platform_telemetry"] = bill.telemetry
    for name, paths in written.items():
        table.add_row(name, str(len(paths)), str(len(counts[name])), str(paths[0].parent))
    console.print(table)
    aws, total = bill.effective_total(provider="AWS"), bill.effective_total()
    console.print(
        f"bill {bill.start:%Y-%m} to {last:%Y-%m}: effective cost {aws:,.2f} USD on AWS (CUR and FOCUS), "
        f"{total - aws:,.2f} USD on Azure (FOCUS only)"
    )
