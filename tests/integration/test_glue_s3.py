"""Iceberg through the Glue catalog on S3 (issue 14, deliverable 3), both served by moto in server mode.

A second Spark Connect server is configured by `tooling/production_catalog.py` only: its default
catalog is Iceberg's `GlueCatalog` with `S3FileIO`, endpoints pointed at moto. Through it the same
Dagster assets and job scripts land one Kafka product (JSON from the shared broker) and one files
product (Parquet on s3://), standardize both, and `dbt build --target prod` builds their generated
staging and vault models. The tables' metadata must be in moto's Glue and their files in moto's S3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import dagster as dg
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kafka_helpers import produce
from production_services import connect_server, moto_server
from vault_scenario import DBT_PROJECT, kafka_product_yaml, make_project, write_specs

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.landing.kafka import kafka_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets
from tardis_dagster.tooling.demo import files as demo_files
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.spark_connect import pyspark_home, server_confs
from tardis_dagster.tooling.production_catalog import (
    GlueCatalogConfig,
    aws_environment,
    glue_server_confs,
)

pytestmark = pytest.mark.platform

REGION, KEY_ID, SECRET = "us-east-1", "test", "test"  # moto accepts any credentials
LAKE, DROPS = "tardis-lake", "partner-drops"
ACCOUNTS = """\
apiVersion: tardis/v1
kind: DataProduct
name: glue_accounts
version: 1.0.0
description: Partner account exports delivered to S3.
owner: {tribe: consumer, squad: accounts, contact: '#accounts'}
source:
  files: {uri: "s3://partner-drops/accounts/", format: parquet}
load: {type: upsert, key: [customer_id]}
schema:
  - {name: customer_id, type: string, required: true}
  - {name: city, type: string}
  - {name: tier, type: string}
vault:
  hubs:
    - {hub: customer, key: [customer_id]}
  satellites:
    - {satellite: customer_profile, parent: customer, columns: [tier, city]}
"""
DELIVERY_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["delivery_id", "status", "revision"],
        "properties": {
            "delivery_id": {"type": "string"},
            "order_id": {"type": "string"},
            "status": {"type": "string"},
            "revision": {"type": "integer"},
        },
    }
)
DELIVERIES_BODY = """\
load: {type: upsert, key: [delivery_id], version_by: revision}
schema:
  - {name: delivery_id, type: string, required: true}
  - {name: order_id, type: string}
  - {name: status, type: string}
  - {name: revision, type: int, required: true}
vault:
  hubs:
    - {hub: delivery, key: [delivery_id]}
    - {hub: order, key: [order_id]}
  links:
    - {link: order_delivery, hubs: [order, delivery]}
  satellites:
    - {satellite: delivery_state, parent: delivery, columns: [status]}
"""
# Ten deliveries of five orders, each packed then out for delivery: 20 records, 20 satellite rows.
EVENTS = [
    (f"D{i}", f"O{i % 5}", status, revision)
    for i in range(10)
    for revision, status in ((1, "packed"), (2, "out_for_delivery"))
]
VAULT = ["hub_customer", "sat_customer_profile", "hub_delivery", "hub_order", "link_order_delivery"]


@dataclass
class GlueRun:
    """What the scenario left: moto's clients, a session on the Glue server and the dbt result."""

    glue: object
    s3: object
    spark: object
    kafka_product: str
    files_product: str
    dbt_returncode: int
    dbt_output: str


def _aws(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


def _dbt_build(project: Path, remote: str, target: Path) -> subprocess.CompletedProcess:
    """`dbt build --target prod` against the Glue server: the prod target, configured from env vars."""
    env = {
        **os.environ,
        "TARDIS_DBT_SPARK_REMOTE": remote,
        "TARDIS_DBT_VIEWS_AS_TABLES": "true",  # Glue has no views: staging is built as tables
        "TARDIS_DBT_THREADS": "1",
        "DBT_LOG_PATH": str(target / "logs"),
    }
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *("build", "--target", "prod", "--profiles-dir", str(DBT_PROJECT)),
            *("--project-dir", str(project), "--target-path", str(target)),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.fixture(scope="module")
def glue_run(platform, tmp_path_factory) -> Iterator[GlueRun]:
    root = tmp_path_factory.mktemp("glue_s3")
    suffix = uuid.uuid4().hex[:8]
    deliveries, topic = "glue_deliveries", f"it.glue.deliveries.{suffix}"
    catalog = write_specs(
        root / "specs",
        {"glue_accounts": ACCOUNTS, deliveries: kafka_product_yaml(deliveries, topic, DELIVERIES_BODY)},
        {f"{deliveries}.json": DELIVERY_SCHEMA},
    )
    project = make_project(catalog, root / "project")
    accounts = catalog.by_name("glue_accounts")
    with moto_server(root / "moto.log") as endpoint:
        s3 = _aws("s3", endpoint)
        for bucket in (LAKE, DROPS):
            s3.create_bucket(Bucket=bucket)
        for path in demo_files.generate(accounts, root / "export", files=2, rows_per_file=10):
            s3.upload_file(str(path), DROPS, f"accounts/{path.name}")

        config = GlueCatalogConfig(
            warehouse=f"s3://{LAKE}/warehouse", glue_endpoint=endpoint, s3_endpoint=endpoint
        )
        local = server_confs(
            root / "warehouse", root / "metastore", jars.extra_jars("spark", pyspark_home() / "jars"), 0
        )
        confs = glue_server_confs(local, config, root / "warehouse")
        with connect_server(confs, root / "spark", aws_environment(REGION, KEY_ID, SECRET)) as server:
            admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(
                timeout=30
            )
            produce(
                topic,
                [
                    (
                        d.encode(),
                        json.dumps({"delivery_id": d, "order_id": o, "status": s, "revision": r}).encode(),
                    )
                    for d, o, s, r in EVENTS
                ],
            )
            settings = get_settings()
            runner = SparkJobRunner(spark_remote=server.remote, s3_endpoint=endpoint)
            landing = [
                *kafka_landing_assets(catalog.products, settings),
                files_landing_assets(catalog.products),
            ]
            assert dg.materialize(landing, resources={"spark": runner}).success
            std = standardize_assets(catalog.products, settings)
            assert dg.materialize(std, resources={"spark": runner}).success
            dbt = _dbt_build(project, server.remote, root / "target")

            from pyspark.sql import SparkSession

            spark = SparkSession.builder.remote(server.remote).create()
            yield GlueRun(
                _aws("glue", endpoint),
                s3,
                spark,
                deliveries,
                "glue_accounts",
                dbt.returncode,
                dbt.stdout + dbt.stderr,
            )
            spark.stop()


def _glue_tables(glue, database: str) -> dict[str, dict]:
    return {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}


def test_dbt_build_with_the_prod_target_passes_on_glue(glue_run: GlueRun) -> None:
    assert glue_run.dbt_returncode == 0, glue_run.dbt_output[-4000:]


def test_every_layer_is_an_iceberg_table_in_glue_with_its_files_on_s3(glue_run: GlueRun) -> None:
    expected = {
        "raw": {glue_run.kafka_product, glue_run.files_product},
        "std": {glue_run.kafka_product, glue_run.files_product},
        "stg": {glue_run.kafka_product, glue_run.files_product},
        "vault": set(VAULT),
    }
    for database, tables in expected.items():
        found = _glue_tables(glue_run.glue, database)
        assert tables <= set(found), (database, sorted(found))
        for name in tables:
            parameters = found[name]["Parameters"]
            assert parameters["table_type"].upper() == "ICEBERG", (database, name)
            location = parameters["metadata_location"]
            assert location.startswith(f"s3://{LAKE}/warehouse/{database}.db/{name}/metadata/"), location
            key = location.removeprefix(f"s3://{LAKE}/")
            assert glue_run.s3.head_object(Bucket=LAKE, Key=key)["ContentLength"] > 0
            data = glue_run.s3.list_objects_v2(Bucket=LAKE, Prefix=f"warehouse/{database}.db/{name}/data/")
            assert data.get("KeyCount", 0) > 0, (database, name)


def test_rows_reach_the_vault_from_kafka_and_from_s3_files(glue_run: GlueRun) -> None:
    spark, kafka, files = glue_run.spark, glue_run.kafka_product, glue_run.files_product

    def count(sql: str) -> int:
        return spark.sql(sql).collect()[0][0]

    assert count(f"select count(*) from raw.{kafka}") == len(EVENTS)
    assert count(f"select count(*) from raw.{files}") == 20
    assert count(f"select count(*) from std.{kafka}") == 10  # upsert: the latest revision per delivery
    assert count(f"select count(*) from std.{kafka}__changes") == len(EVENTS)
    customers = count(f"select count(distinct upper(trim(customer_id))) from std.{files}")
    assert customers > 0
    assert count("select count(*) from vault.hub_customer") == customers
    assert count("select count(*) from vault.hub_delivery") == 10
    assert count("select count(*) from vault.hub_order") == 5
    assert count("select count(*) from vault.link_order_delivery") == 10
    assert count("select count(*) from vault.sat_delivery_state") == len(EVENTS)
    assert count("select count(*) from vault.sat_customer_profile") >= customers
