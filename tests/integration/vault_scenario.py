"""A throwaway dbt project for vault scenarios: the real macros, models generated from test specs.

Tables live under their own prefix (`vault_test_`), so tests never touch the platform's layers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import SpecCatalog, load_catalog
from tardis_dagster.tooling.codegen.generate import write

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
MODEL = """\
hubs:
  - name: customer
    business_key: [customer_id]
    description: A customer.
    owner: {tribe: consumer, squad: accounts}
  - name: order
    business_key: [order_id]
    description: An order.
    owner: {tribe: consumer, squad: checkout}
  - name: delivery
    business_key: [delivery_id]
    description: A delivery of one box.
    owner: {tribe: operations, squad: logistics}
links:
  - name: customer_order
    hubs: [customer, order]
    description: Which customer placed which order.
  - name: order_delivery
    hubs: [order, delivery]
    description: Which delivery carries which order.
"""


def product_yaml(name: str, body: str, *, squad: str = "accounts") -> str:
    """A files-sourced product spec (the scenario writes its std table directly)."""
    return (
        "apiVersion: tardis/v1\nkind: DataProduct\n"
        f"name: {name}\nversion: 1.0.0\ndescription: Scenario product {name}.\n"
        f"owner: {{tribe: consumer, squad: {squad}, contact: '#{squad}'}}\n"
        f"source:\n  files: {{uri: ./drops/{name}/, format: parquet}}\n" + body
    )


def kafka_product_yaml(name: str, topic: str, body: str, *, squad: str = "logistics") -> str:
    """A Kafka-sourced product spec reading JSON values checked by `schemas/<name>.json`."""
    return (
        "apiVersion: tardis/v1\nkind: DataProduct\n"
        f"name: {name}\nversion: 1.0.0\ndescription: Scenario product {name}.\n"
        f"owner: {{tribe: operations, squad: {squad}, contact: '#{squad}'}}\n"
        f"source:\n  kafka: {{topic: {topic}, format: json, schema: schemas/{name}.json}}\n" + body
    )


def write_specs(root: Path, products: dict[str, str], schemas: dict[str, str] | None = None) -> SpecCatalog:
    """Write `_model.yaml`, the product specs and their `schemas/` files under `root`; return the
    validated catalog."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_model.yaml").write_text(MODEL, encoding="utf-8")
    for name, text in products.items():
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    for file_name, text in (schemas or {}).items():
        (root / "schemas").mkdir(exist_ok=True)
        (root / "schemas" / file_name).write_text(text, encoding="utf-8")
    catalog = load_catalog([root])
    assert not catalog.problems, "\n".join(str(p) for p in catalog.problems)
    return catalog


def make_project(catalog: SpecCatalog, folder: Path) -> Path:
    """A dbt project in `folder`: the platform's project file and macros, plus generated models."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DBT_PROJECT / "dbt_project.yml", folder / "dbt_project.yml")
    shutil.copytree(
        DBT_PROJECT / "macros",
        folder / "macros",
        ignore=shutil.ignore_patterns("generated"),
        dirs_exist_ok=True,
    )
    write(catalog, folder)
    return folder


@dataclass
class DbtRun:
    """One dbt invocation: exit code, output and each node's status/failures from run_results.json."""

    returncode: int
    output: str
    results: dict[str, dict[str, Any]]
    target: Path

    def executed_sql(self, model: str) -> str:
        """The SQL dbt ran for a generated model (`target/run/...`), e.g. a MERGE for an upsert."""
        return "\n".join(p.read_text() for p in sorted(self.target.glob(f"run/**/{model}.sql")))

    def status(self, name: str) -> str:
        """The status of the node whose unique_id ends with `.name` (models) or contains `name`."""
        matches = [r for uid, r in self.results.items() if uid.split(".")[-1] == name or name in uid]
        assert matches, f"no node {name} in {sorted(self.results)}"
        return matches[0]["status"]


def drop_schemas(spark, schemas: list[str]) -> None:
    """Empty the schemas (created if missing): drop every table and view in them."""
    for schema in schemas:
        spark.sql(f"create namespace if not exists {schema}")
        for table in spark.catalog.listTables(schema):
            kind = "view" if table.tableType == "VIEW" else "table"
            spark.sql(f"drop {kind} if exists {schema}.{table.name}")


def table_rows(spark, table: str) -> list[tuple]:
    """Every row of `table`, sorted: a row set two states of a table can be compared by."""
    return sorted((tuple(r) for r in spark.table(table).collect()), key=repr)


def run_dbt(project: Path, command: list[str], prefix: str, target: Path) -> DbtRun:
    """Run dbt in `project` against the local Spark Connect server with schema prefix `prefix`."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "SPARK_REMOTE": get_settings().spark_remote, "DBT_LOG_PATH": str(target / "logs")}
    result = subprocess.run(
        [
            str(dbt),
            *command,
            "--profiles-dir",
            str(DBT_PROJECT),
            "--project-dir",
            str(project),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"tardis_schema_prefix": prefix}),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    results_path = target / "run_results.json"
    results = {}
    if results_path.exists():
        data = json.loads(results_path.read_text())
        results = {r["unique_id"]: r for r in data["results"]}
    return DbtRun(result.returncode, result.stdout + result.stderr, results, target)
