"""Dagster resources: the engines Tardis assets talk to, configured per deployment in one place."""

from __future__ import annotations

from typing import Any

import dagster as dg

from tardis_dagster.core.settings import Settings
from tardis_dagster.lib.spark_runner import SparkJobRunner

__all__ = ["SparkJobRunner", "build_resources"]


def build_resources(settings: Settings) -> dict[str, Any]:
    """Resources for the deployment: local (subprocess + Spark Connect) or prod (EMR Serverless)."""
    if settings.deployment == "local":
        spark = SparkJobRunner(
            mode="local", spark_remote=settings.spark_remote, s3_endpoint=settings.s3_endpoint
        )
    else:
        spark = SparkJobRunner(
            mode="emr_serverless",
            emr_application_id=dg.EnvVar("TARDIS_EMR_APPLICATION_ID"),
            emr_execution_role_arn=dg.EnvVar("TARDIS_EMR_EXECUTION_ROLE_ARN"),
            emr_jobs_uri=dg.EnvVar("TARDIS_EMR_JOBS_URI"),
            emr_spark_submit_parameters=dg.EnvVar("TARDIS_EMR_SPARK_SUBMIT_PARAMETERS"),
        )
    return {"spark": spark}
