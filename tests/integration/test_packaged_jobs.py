"""The packaged jobs, run the production way: `spark-submit --py-files` on a standalone cluster.

No Spark Connect: `make package`'s bundle (`dist/<job>.py` + `spark_jobs.zip`) is spark-submitted to
a master with two workers of this test's own, the driver's Python stands in for an EMR image (no
site-packages: only the stdlib, pyspark, boto3, the compiled requirements and the zip), and Dagster
Pipes runs over the channels of the EMR clients: `PipesS3ContextInjector` and `PipesS3MessageReader`
against moto's S3 in server mode. The real landing and standardize assets drive it, through
`SparkJobRunner(mode="spark_submit")`; their materializations and metadata are read from Dagster.
Everything started here (moto, master, workers) is stopped by pid at the end.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import pytest
from botocore.exceptions import EndpointConnectionError
from cluster_image import PROVIDED, link_image, python_wrapper
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets
from tardis_dagster.tooling import package
from tardis_dagster.tooling.demo import files as demo_files
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.ephemeral import free_port, running
from tardis_dagster.tooling.local_platform.spark_cluster import ClusterPorts, cluster_services, executor_confs
from tardis_dagster.tooling.local_platform.spark_connect import pyspark_home, server_confs

pytestmark = pytest.mark.platform

BUCKET = "tardis-pipes"
COLUMNS = """\
  - {name: member_id, type: string, required: true}
  - {name: points, type: int}
  - {name: earned_at, type: timestamp}
"""


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for _ in range(100):
            try:
                s3.create_bucket(Bucket=BUCKET)
                break
            except EndpointConnectionError:  # not listening yet
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def master_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("cluster")
    ports = ClusterPorts(master=free_port(), master_ui=free_port(), worker=free_port(), worker_ui=free_port())
    with running(cluster_services(home, pyspark_home(), ports)):
        yield ports.master_url


def _submit_args(tmp_path: Path) -> list[str]:
    """The catalog and jars of the local server, for a classic session with a metastore of its own."""
    confs = server_confs(
        tmp_path / "warehouse",
        tmp_path / "metastore",
        jars.extra_jars("spark", pyspark_home() / "jars"),
        port=0,
        ui_port=free_port(),
    )
    confs = {k: v for k, v in confs.items() if not k.startswith("spark.connect.")} | executor_confs()
    args = ["--driver-memory", "1g"]
    for key, value in confs.items():
        args += ["--conf", f"{key}={value}"]
    return args


def _product(tmp_path: Path):
    name = f"it_packaged_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="Loyalty points, for the packaged-jobs test.",
        owner="marketing/loyalty/#loyalty-data",
        source="files: {uri: ./drops/, format: parquet}",
        load="{type: append}",
        schema=COLUMNS,
    )
    return write_product(tmp_path, text, name, own_folder=True)


def test_packaged_landing_and_standardize_run_through_spark_submit_with_pipes_over_s3(
    tmp_path: Path, moto_endpoint: str, master_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # as pyspark leaves them in a process that has made a Spark Connect session (a Dagster worker)
    monkeypatch.setenv("SPARK_CONNECT_MODE_ENABLED", "1")
    monkeypatch.setenv("SPARK_REMOTE", "sc://127.0.0.1:15002")
    bundle = tmp_path / "dist"
    manifest = package.build(bundle)
    image = link_image(tmp_path / "image", set(manifest.native) | set(PROVIDED))
    runner = SparkJobRunner(
        mode="spark_submit",
        spark_master=master_url,
        bundle_dir=str(bundle),
        python=str(python_wrapper(tmp_path, image)),
        spark_submit_args=_submit_args(tmp_path),
        pipes_s3_bucket=BUCKET,
        pipes_s3_endpoint=moto_endpoint,
    )
    product = _product(tmp_path)
    demo_files.generate(product, product.resolve_path("./drops/"), files=2, rows_per_file=25)

    landed = dg.materialize([files_landing_assets([product])], resources={"spark": runner})
    assert landed.success
    (raw,) = landed.get_asset_materialization_events()
    assert raw.asset_key == dg.AssetKey(["raw", product.name])
    assert raw.materialization.metadata["rows_landed"].value == 50

    standardized = dg.materialize(
        standardize_assets([product], get_settings()),
        resources={"spark": runner},
        selection=[dg.AssetKey(["std", product.name])],
    )
    assert standardized.success
    (std,) = standardized.get_asset_materialization_events()
    meta = std.materialization.metadata
    assert meta["dagster/row_count"].value == 50
    assert meta["rows_inserted"].value == 50 and meta["rows_rejected"].value == 0
    assert [c.name for c in meta["dagster/column_schema"].value.columns][:3] == [
        "member_id",
        "points",
        "earned_at",
    ]
    (check,) = standardized.get_asset_check_evaluations()
    assert check.passed

    # The channels really were S3: the runs' context and message chunks went through the bucket
    # (the injector deletes the context object after the run; message chunks stay).
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=moto_endpoint)
        .list_objects_v2(Bucket=BUCKET)
        .get("Contents", [])
    ]
    assert any(k.endswith(".json") for k in keys), keys
