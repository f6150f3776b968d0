"""The Spark job runner: the same job script locally and on EMR Serverless, differing in config only."""

from __future__ import annotations

import dagster as dg
import pytest

from tardis_dagster.core.settings import Settings, get_settings
from tardis_dagster.defs.resources import SparkJobRunner, build_resources
from tardis_dagster.lib.spark_submit import submit_environment


def test_emr_serverless_job_run_points_at_the_same_script_with_the_package_zip() -> None:
    runner = SparkJobRunner(
        mode="emr_serverless",
        emr_application_id="00abc",
        emr_execution_role_arn="arn:aws:iam::123456789012:role/tardis-jobs",
        emr_jobs_uri="s3://tardis-artifacts/jobs/",
        emr_spark_submit_parameters="--conf spark.sql.catalog.glue=org.apache.iceberg.spark.SparkCatalog",
    )
    params = runner.emr_start_job_run_params("land_files", "land_files-1234")
    assert params["applicationId"] == "00abc"
    assert params["executionRoleArn"].endswith("role/tardis-jobs")
    submit = params["jobDriver"]["sparkSubmit"]
    assert submit["entryPoint"] == "s3://tardis-artifacts/jobs/land_files.py"
    assert submit["sparkSubmitParameters"].startswith("--py-files s3://tardis-artifacts/jobs/spark_jobs.zip")
    assert "spark.sql.catalog.glue" in submit["sparkSubmitParameters"]
    assert "spark.executor.extraJavaOptions=-XX:-DontCompileHugeMethods" in submit["sparkSubmitParameters"]


def test_emr_mode_without_its_settings_is_a_clear_error() -> None:
    with pytest.raises(dg.DagsterInvariantViolationError, match="emr_application_id"):
        SparkJobRunner(mode="emr_serverless").emr_start_job_run_params("land_files", "x")


def test_deployment_switch_selects_the_runner_mode() -> None:
    local = get_settings()
    assert build_resources(local)["spark"].mode == "local"
    prod = Settings(**{**local.__dict__, "deployment": "prod"})
    assert build_resources(prod)["spark"].mode == "emr_serverless"


def test_spark_submit_environment_drops_the_spark_connect_switches_of_the_calling_process() -> None:
    calling = {
        "PATH": "/usr/bin",
        "SPARK_REMOTE": "sc://127.0.0.1:15002",
        "SPARK_CONNECT_MODE_ENABLED": "1",
        "SPARK_LOCAL_REMOTE": "1",
    }
    env = submit_environment(calling, {"DAGSTER_PIPES_CONTEXT": "ctx"})
    assert env == {"PATH": "/usr/bin", "DAGSTER_PIPES_CONTEXT": "ctx"}
    # what the runner passes on purpose still reaches the job
    assert submit_environment(calling, {"SPARK_REMOTE": "sc://x"})["SPARK_REMOTE"] == "sc://x"
