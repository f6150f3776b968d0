"""`tardis stream <product>`: run a Kafka product's landing as a long-running stream."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling import streaming
from tardis_dagster.tooling.cli.catalog import load_or_exit

console = Console()


def stream(
    product: Annotated[str, typer.Argument(help="Name of a Kafka data product.")],
    trigger_seconds: Annotated[int, typer.Option(min=1, help="Micro-batch interval.")] = 10,
    report_seconds: Annotated[
        int, typer.Option(min=1, help="How often Dagster gets a materialization.")
    ] = 30,
    max_seconds: Annotated[
        float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).")
    ] = None,
    specs: Annotated[Path | None, typer.Option(help="Spec folder (default: product_specs/).")] = None,
) -> None:
    """Land a Kafka topic continuously; report offsets, records and lag to Dagster every interval."""
    catalog = load_or_exit(specs, console)
    names = [p.name for p in catalog.products if p.source.kind == "kafka"]
    if product not in names:
        console.print(
            f"error: no Kafka product named {product!r}; Kafka products: {', '.join(names)}", style="red"
        )
        raise typer.Exit(1)
    spec = catalog.by_name(product)
    key = streaming.asset_key(spec)
    console.print(f"streaming {spec.source.kafka.topic} -> raw.{product}; Ctrl-C stops")  # type: ignore[union-attr]

    def show(report: streaming.StreamReport) -> None:
        console.log(f"{report.records} records landed, {report.quarantined} quarantined, lag {report.lag}")

    try:
        settings = get_settings()
        streaming.stream(
            spec,
            settings,
            streaming.report_to_instance(streaming.default_instance(settings), key),
            trigger_seconds=trigger_seconds,
            report_seconds=report_seconds,
            max_seconds=max_seconds,
            on_report=show,
        )
    except KeyboardInterrupt:
        console.print("stopped")
