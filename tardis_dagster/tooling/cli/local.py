"""`tardis local up|down|status`: the local Kafka broker and Spark Connect server."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table

from tardis_dagster.tooling import local_platform
from tardis_dagster.tooling.local_platform.jars import JarResolutionError
from tardis_dagster.tooling.local_platform.platform import ServiceFailedError, ServiceStatus
from tardis_dagster.tooling.local_platform.spark_cluster import CLUSTER_ENV

app = typer.Typer(
    help="Run the local platform: Kafka (KRaft) and the Spark Connect server.", no_args_is_help=True
)
console = Console()


def _table(rows: list[ServiceStatus]) -> Table:
    table = Table("service", "pid", "port", "healthy", "log")
    for row in rows:
        table.add_row(
            row.service,
            str(row.pid) if row.pid else "-",
            str(row.port),
            "[green]yes[/green]" if row.healthy else "[red]no[/red]",
            row.log,
        )
    return table


@app.command()
def up(
    cluster: bool = typer.Option(
        False,
        "--cluster",
        help="Run Spark on a standalone master + 2 workers (as TARDIS_SPARK_CLUSTER=1 does).",
    ),
) -> None:
    """Start Kafka and Spark Connect (a no-op for what already runs) and wait until both answer."""
    if cluster:
        os.environ[CLUSTER_ENV] = "1"  # read by the platform's service list, in this process only
    try:
        with console.status("starting the local platform") as spinner:
            rows = local_platform.up(progress=lambda msg: spinner.update(msg) or console.log(msg))
    except (ServiceFailedError, JarResolutionError) as exc:
        console.print(f"error: {exc}", style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(_table(rows))


@app.command()
def status() -> None:
    """Show each service: pid, port, and whether it answers a real request. Exit 1 if any is down."""
    rows = local_platform.status()
    console.print(_table(rows))
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


@app.command()
def down() -> None:
    """Stop the services `up` started (by pid only)."""
    stopped = local_platform.down(progress=console.log)
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
