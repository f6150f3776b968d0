"""The cost models built by a real `dbt build` over std-shaped tables of a test's own (tests/cost and the
export tests share it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct


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
