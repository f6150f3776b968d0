"""File landing from an s3:// URI, against moto's S3 in server mode (S3 cannot run here for real).

Spark reads the bucket through Hadoop S3A exactly as it would on EMR; only the endpoint differs.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import pytest
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.tooling.demo import files as demo_files

pytestmark = pytest.mark.platform

COLUMNS = """\
{name: member_id, type: string, required: true}
{name: points, type: int}
{name: earned_at, type: timestamp}
"""


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_files_land_from_s3(tmp_path: Path, spark, s3_endpoint: str) -> None:
    name = f"it_s3_loyalty_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="Partner loyalty exports delivered to S3.",
        owner="marketing/loyalty/#loyalty-data",
        source='files: {uri: "s3://partner-drops/loyalty/", format: parquet}',
        schema=COLUMNS,
    )
    product = write_product(tmp_path, text, name)

    local = tmp_path / "export"
    written = demo_files.generate(product, local, files=2, rows_per_file=25)
    written.append(demo_files.write_corrupt_file(product, local))
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="partner-drops")
    for path in written:
        s3.upload_file(str(path), "partner-drops", f"loyalty/{path.name}")

    runner = SparkJobRunner(spark_remote=get_settings().spark_remote, s3_endpoint=s3_endpoint)
    for expected_new_rows in (50, 0):  # the second run finds nothing new
        result = dg.materialize([files_landing_assets([product])], resources={"spark": runner})
        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows_landed"].value == expected_new_rows

    files = {r[0] for r in spark.sql(f"select distinct _source_file from raw.{name}").collect()}
    assert files == {f"s3://partner-drops/loyalty/{p.name}" for p in written[:2]}
    assert spark.table(f"raw.{name}").count() == 50
    (bad,) = spark.sql(f"select _source_file, reason from raw.{name}__quarantine").collect()
    assert bad[0] == "s3://partner-drops/loyalty/corrupt.parquet"
    assert "Parquet" in bad[1]
