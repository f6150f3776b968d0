"""Fixtures for the cost tests: std-shaped source tables on the real Spark server, dbt run once each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.core.specs.catalog import load_catalog
from tardis_dagster.tooling.demo import costs as cost_demo

DEMO_SRC, DEMO_OUT = "cost_test_demo_src", "cost_test_demo"
HAND_SRC, HAND_OUT = "cost_test_hand_src", "cost_test_hand"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog([PROJECT_ROOT / "product_specs"])


@pytest.fixture(scope="session")
def cost_products(catalog) -> dict[str, DataProduct]:
    return {name: catalog.by_name(name) for name in cost_demo.PRODUCTS}


def write_source_table(spark, schema: str, product: DataProduct, rows: list[dict[str, Any]]) -> None:
    """Create `schema.<product>` with the product's contract columns (what std publishes) and `rows`."""
    ddl = ", ".join(f"{c.name} {c.data_type.spark_ddl}" for c in product.schema_)
    names = [c.name for c in product.schema_]
    data = [tuple(r.get(n) for n in names) for r in rows]
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {schema}")
    df = spark.createDataFrame(data, schema=ddl)
    df.writeTo(f"{schema}.{product.name}").using("iceberg").createOrReplace()


def run_dbt(tmp: Path, source_schema: str, out_schema: str, inputs: list[str]) -> None:
    """One `dbt build` of the cost models and their tests against the given schemas."""
    dbt = Path(sys.executable).parent / "dbt"
    variables = {"cost_source_schema": source_schema, "cost_schema": out_schema, "cost_inputs": inputs}
    env = {**os.environ, "SPARK_REMOTE": get_settings().spark_remote, "DBT_LOG_PATH": str(tmp)}
    result = subprocess.run(
        [
            str(dbt), "build", "--profiles-dir", ".", "--target-path", str(tmp / "target"),
            "--select", "path:models/cost", "path:tests/cost", "--vars", json.dumps(variables),
        ],
        cwd=PROJECT_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def model_bill(
    spark, products: dict[str, DataProduct], tmp: Path, source: str, out: str, inputs: list[str], **rows
) -> str:
    """Each cost product's `rows` (none where not given) as std-shaped tables in `source`, modelled by
    one dbt build into `out` from `inputs`; returns `out`."""
    for name, product in products.items():
        write_source_table(spark, source, product, rows.get(name, []))
    run_dbt(tmp, source, out, inputs)
    return out


@pytest.fixture(scope="session")
def demo_bill(catalog) -> cost_demo.CostDemo:
    """Two months of the demo bill (September and October 2026)."""
    return cost_demo.generate(catalog.products, month=date(2026, 10, 1), months=2, seed=11)


@pytest.fixture(scope="session")
def demo_cost_tables(spark, demo_bill, cost_products, tmp_path_factory) -> str:
    """The demo bill in std-shaped tables, modelled by dbt from both inputs; returns the output schema."""
    return model_bill(
        spark,
        cost_products,
        tmp_path_factory.mktemp("dbt_demo"),
        DEMO_SRC,
        DEMO_OUT,
        ["cur", "focus"],
        aws_cur=demo_bill.cur,
        focus_costs=demo_bill.focus,
        k8s_allocations=demo_bill.allocations,
        platform_telemetry=demo_bill.telemetry,
    )
