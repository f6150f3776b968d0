"""Time to data: a scripted newcomer on a warm local platform, from `tardis new` to rows in std and the vault.

Produces RECORDS JSON refund events to a fresh topic, then times what a newcomer runs, each as the
`tardis` command in its own process (as typed in a terminal):
  1. `tardis new --answers answers.yaml`: samples the topic, infers the schema, validates, writes the
     spec and schema file, runs `tardis generate`;
  2. `tardis test <product>`: builds the definitions (dbt parse), lands the topic into raw, standardizes
     into std, runs the checks and dbt (staging, the customer hub), in namespaces of its own.
Prints the seconds of each step (the steps inside `tardis test` from its report), the seconds to the
first rows in std and to the vault, and the ratio to the 60 s goal (to std). The spec lives in a copy
of product_specs/ and the dbt models in a throwaway project; the topic is deleted and `tardis test`
drops its tables. Needs `tardis local up`.

    python benchmarks/time_to_data.py [RECORDS]   # 10,000
    python benchmarks/time_to_data.py --smoke     # 200: checks it runs (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.settings import get_settings, project_dir
from tardis_dagster.tooling import local_platform

GOAL_SECONDS = 60.0
SMOKE = 200
TARDIS = str(Path(sys.executable).with_name("tardis"))
ANSWERS = """\
tribe: consumer
squad: checkout
contact: "#checkout-data"
name: {name}
description: Refunds, one event per refund.
source: kafka
topic: {topic}
schedule: 0 * * * *
load_type: upsert
key: [refund_id]
version_by: refunded_at
pii: [customer_email]
hubs: [customer]
"""
# Steps of `tardis test` up to and including the first rows in std (the rest builds the vault).
TO_STD = ("definitions built", "land_kafka", "standardize")


def produce_refunds(topic: str, count: int) -> None:
    """Create `topic` (3 partitions) and produce `count` JSON refund events, waiting for every ack."""
    bootstrap = get_settings().kafka_bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(count):
        event = {
            "refund_id": f"r{i:06d}",
            "customer_id": f"c{i % 500}",
            "customer_email": f"buyer{i % 500}@example.com",
            "amount": round(3.5 + i % 100, 2),
            "refunded_at": f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        }
        producer.produce(topic, value=json.dumps(event).encode())
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(60) != 0:
        raise SystemExit(f"could not produce the records to {topic}")


def run(step: str, args: list[str], cwd: Path) -> float:
    """Run one `tardis` command as a newcomer would; its seconds. Exits with its output if it fails."""
    # The specs are a copy in `cwd`; the platform (dbt project, .tardis state) is this checkout's.
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "TARDIS_PROJECT_DIR": str(project_dir())}
    started = time.perf_counter()
    result = subprocess.run([TARDIS, *args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{step} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return seconds


def report_steps(report: str) -> list[tuple[str, float]]:
    """(step, seconds) of the 'Time per step' table of a `tardis test` Markdown report, total left out."""
    table = report.split("#### Time per step")[1]
    steps = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("step", "total") and cells[3].replace(".", "", 1).isdigit():
            steps.append((cells[0], float(cells[3])))
    return steps


def report_rows(report: str) -> dict[str, int]:
    """Rows per table of a `tardis test` Markdown report."""
    rows = {}
    for line in report.split("#### Rows")[1].split("####")[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            rows[cells[1]] = int(cells[2])
    return rows


def main(records: int) -> None:
    """Produce, then time `tardis new` and `tardis test`, and print the figures."""
    if not all(s.healthy for s in local_platform.status()):
        raise SystemExit("the local platform is not running: `tardis local up` first")
    suffix = uuid.uuid4().hex[:8]
    name, topic = f"bench_refunds_{suffix}", f"bench.refunds.{suffix}"
    started = time.perf_counter()
    produce_refunds(topic, records)
    produced = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory(prefix="tardis-time-to-data-") as tmp:
            work = Path(tmp)
            shutil.copytree(
                project_dir() / "product_specs", work / "product_specs", ignore=shutil.ignore_patterns(".*")
            )
            (work / "answers.yaml").write_text(ANSWERS.format(name=name, topic=topic), encoding="utf-8")
            new = run(
                "tardis new",
                ["new", "--answers", "answers.yaml", "--specs", "product_specs", "--dbt-project", "dbt"],
                work,
            )
            test = run(
                "tardis test",
                ["test", name, "--specs", "product_specs", "--report", "report.md"],
                work,
            )
            report = (work / "report.md").read_text(encoding="utf-8")
    finally:
        admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})  # alive until deleted
        admin.delete_topics([topic])[topic].result(timeout=30)
    steps = report_steps(report)
    rows = report_rows(report)
    inside = sum(s for _, s in steps)
    to_std = new + sum(s for step, s in steps if step.startswith(TO_STD))
    print(
        f"time to data: {records:,} JSON records on topic {topic} (produced in {produced:.1f} s, not counted)"
    )
    print(f"  {'tardis new --answers (sample, infer, validate, write, generate)':<66} {new:6.1f} s")
    print(f"  {'tardis test, process start and teardown outside its steps':<66} {test - inside:6.1f} s")
    for step, seconds in steps:
        print(f"    {step:<64} {seconds:6.1f} s")
    print(f"  {'total (tardis new + tardis test)':<66} {new + test:6.1f} s")
    print(f"  {'to rows in std (new + definitions + land + standardize)':<66} {to_std:6.1f} s")
    # The process start (imports) comes before std, its teardown (dropping the tables) after: an upper bound.
    print(f"  {'  the same with all of tardis test outside its steps':<66} {to_std + test - inside:6.1f} s")
    std = next((n for t, n in rows.items() if t.endswith(f"std.{name}")), 0)
    hub = next((n for t, n in rows.items() if t.endswith("vault.hub_customer")), 0)
    print(f"  rows: std {std:,}, vault hub_customer {hub:,}")
    print(f"  goal: under {GOAL_SECONDS:.0f} s to std; ratio {to_std / GOAL_SECONDS:.2f}")
    if std != records or hub == 0:
        raise SystemExit(f"expected {records} rows in std and some in the hub, got {rows}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("records", nargs="?", type=int, default=10_000)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} records: checks it runs")
    options = parser.parse_args()
    main(SMOKE if options.smoke else options.records)
