"""The dbt project skeleton runs for real: dbt-spark `session` through the Spark Connect server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings

pytestmark = pytest.mark.platform


def test_dbt_run_builds_an_iceberg_table_on_the_local_server(spark, tmp_path: Path) -> None:
    spark.sql("drop table if exists platform.tardis_platform_info")  # so only this run can create it
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "SPARK_REMOTE": get_settings().spark_remote, "DBT_LOG_PATH": str(tmp_path)}
    result = subprocess.run(
        # Only the platform model: the generated vault models need demo data (test_demo_pipeline.py).
        [
            *(str(dbt), "run", "--select", "tardis_platform_info"),
            *("--profiles-dir", ".", "--target-path", str(tmp_path / "target")),
        ],
        cwd=PROJECT_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = spark.table("platform.tardis_platform_info").collect()
    assert [r["platform"] for r in rows] == ["tardis"]
    provider = {
        r["col_name"]: r["data_type"]
        for r in spark.sql("describe table extended platform.tardis_platform_info").collect()
    }
    assert provider.get("Provider", "").lower() == "iceberg"
