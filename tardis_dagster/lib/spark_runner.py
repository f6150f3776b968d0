"""The Spark job runner: one resource, the same job scripts locally and on Amazon EMR.

Locally a job script runs as a Python subprocess (`PipesSubprocessClient`) whose Spark session is a
Spark Connect client of the local server (`SPARK_REMOTE`). In production the same script, from the
job bundle (`make package`: `<job>.py` + `spark_jobs.zip`), is the entry point of an EMR Serverless
job run (`PipesEMRServerlessClient`) or an EMR on EKS one (`PipesEMRContainersClient`), or is
spark-submitted to a standalone cluster (`spark_submit`); only configuration differs. With
`pipes_s3_bucket` the Pipes context and messages travel through S3 (`PipesS3ContextInjector`,
`PipesS3MessageReader`; the job side is `jobs/pipes_channels.py`).
Assets hand it a typed job input (`core.jobs_io`), which it serializes as the job's Pipes extras.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from pydantic import Field

from tardis_dagster.core.jobs_io import HUGE_METHODS_JIT, JOB_TAG_ENV, to_extras
from tardis_dagster.core.naming import spark_job_tag

# The job scripts: run by module name locally, shipped as files to EMR.
JOBS_PACKAGE = "tardis_dagster.jobs"
JOBS_DIR = Path(__file__).resolve().parents[1] / "jobs"


class SparkJobRunner(dg.ConfigurableResource):
    """Launches a Spark job script of `tardis_dagster.jobs` through Dagster Pipes."""

    mode: Literal["local", "spark_submit", "emr_serverless", "emr_containers"] = Field(
        default="local",
        description=(
            "local: subprocess + Spark Connect; spark_submit: the bundle spark-submitted to a cluster "
            "(`spark_master`); emr_serverless: EMR Serverless job run; emr_containers: EMR on EKS job run."
        ),
    )
    spark_remote: str = Field(default="sc://127.0.0.1:15002", description="Spark Connect URL (local mode).")
    s3_endpoint: str | None = Field(
        default=None,
        description="S3-compatible endpoint for s3:// URIs in local mode (moto, MinIO); None = AWS.",
    )
    pipes_s3_bucket: str | None = Field(
        default=None,
        description="S3 bucket for the Pipes context and messages (production modes); None = EMR defaults.",
    )
    pipes_s3_endpoint: str | None = Field(
        default=None, description="S3 endpoint of the Pipes channels other than AWS (moto); None = AWS."
    )
    spark_master: str | None = Field(default=None, description="spark://host:port (spark_submit mode).")
    bundle_dir: str | None = Field(
        default=None, description="Folder holding the job bundle `make package` writes (spark_submit mode)."
    )
    python: str | None = Field(
        default=None,
        description="Python of the job's driver and executors (spark_submit mode); None = spark-submit's.",
    )
    spark_submit_args: list[str] = Field(
        default_factory=list, description="Extra spark-submit arguments (spark_submit mode: catalog, jars)."
    )
    emr_application_id: str | None = Field(default=None, description="EMR Serverless application id.")
    emr_virtual_cluster_id: str | None = Field(default=None, description="EMR on EKS virtual cluster id.")
    emr_release_label: str = Field(
        default="emr-7.12.0-latest", description="EMR release of EMR on EKS job runs (Spark 3.5)."
    )
    emr_execution_role_arn: str | None = Field(default=None, description="IAM role the job runs as.")
    emr_jobs_uri: str | None = Field(
        default=None,
        description="s3:// prefix holding the job scripts and `spark_jobs.zip` (uploaded by the deploy).",
    )
    emr_spark_submit_parameters: str = Field(
        default="", description="Extra spark-submit parameters (Glue catalog, Iceberg jars, sizing)."
    )

    def run(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        job: str,
        job_input: Any,
        secrets: Mapping[str, str] | None = None,
    ) -> dg.PipesClientCompletedInvocation:
        """Run the job script `jobs/<job>.py` for this step with its typed input (`core.jobs_io`).

        `secrets` are environment variables for the local job process (never in extras, which Dagster
        may record); EMR jobs get theirs from the job's own configuration (e.g. Secrets Manager).
        """
        extras = to_extras(job_input)
        if self.mode == "local":
            return dg.PipesSubprocessClient(env=self._local_env(secrets, job_tag(context))).run(
                context=context, command=self._local_command(job), extras=extras
            )
        if self.mode == "spark_submit":
            return self._run_spark_submit(context, job, extras, secrets)
        if self.mode == "emr_containers":
            return self._run_emr_containers(context, job, extras)
        return self._run_emr_serverless(context, job, extras)

    def results(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        job: str,
        job_input: Any,
        secrets: Mapping[str, str] | None = None,
    ) -> Sequence[dg.PipesExecutionResult]:
        """`run`, then only what the job reported: no implicit materializations.

        A multi-asset runs one job per selected asset; Pipes would otherwise add an empty
        materialization for every other selected asset (and for one whose batch was not published).
        """
        return self.run(context, job, job_input, secrets).get_results(implicit_materializations=False)

    def stream(self, job: str, request: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Run a job's streaming entry point (`--stream`) locally and yield each interval it reports.

        The request (the typed job input under `job`, plus the stream's own settings) goes to the job
        process as one JSON line; each report comes back as one JSON line.
        """
        if self.mode != "local":
            raise dg.DagsterInvariantViolationError("streams run locally here; in production as EMR jobs")
        # The job process inherits this one's environment (PATH, JAVA_HOME), as Pipes subprocesses do.
        env = {**os.environ, **self._local_env(None)}
        command = self._local_command(job, "--stream")
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        ) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(dict(request)) + "\n")
            proc.stdin.flush()
            try:
                for line in proc.stdout:
                    if line.startswith("{"):
                        yield json.loads(line)
            finally:
                if proc.poll() is None:
                    proc.terminate()
            if proc.wait() not in (0, -15):
                raise dg.Failure(description=f"the {job} stream ended with exit code {proc.returncode}")

    def _local_command(self, job: str, *args: str) -> list[str]:
        if not (JOBS_DIR / f"{job}.py").exists():
            raise dg.DagsterInvariantViolationError(f"no Spark job script {JOBS_DIR / job}.py")
        return [sys.executable, "-m", f"{JOBS_PACKAGE}.{job}", *args]

    def _local_env(self, secrets: Mapping[str, str] | None, tag: str | None = None) -> dict[str, str]:
        env = {"SPARK_REMOTE": self.spark_remote, **(secrets or {})}
        if tag:
            env[JOB_TAG_ENV] = tag
        if self.s3_endpoint:
            env["TARDIS_S3_ENDPOINT"] = self.s3_endpoint
        return env

    def _submit_parameters(self) -> str:
        """spark-submit parameters of an EMR job run: the bundle zip, the JIT flag, the user's own."""
        prefix = (self.emr_jobs_uri or "").rstrip("/")
        # The package zip lets a script import its siblings and the core on the cluster. The
        # JIT flag as on the local server (local_platform/spark_connect.py); the user's own
        # parameters come last, so an extraJavaOptions of theirs wins.
        jit = " ".join(
            f"--conf spark.{role}.extraJavaOptions={HUGE_METHODS_JIT}" for role in ("driver", "executor")
        )
        return f"--py-files {prefix}/spark_jobs.zip {jit} {self.emr_spark_submit_parameters}".strip()

    def emr_start_job_run_params(self, job: str, run_name: str) -> dict[str, Any]:
        """The EMR Serverless StartJobRun request for a job script (separate so it can be inspected)."""
        if not (self.emr_application_id and self.emr_execution_role_arn and self.emr_jobs_uri):
            raise dg.DagsterInvariantViolationError(
                "mode=emr_serverless needs emr_application_id, emr_execution_role_arn and emr_jobs_uri"
            )
        prefix = self.emr_jobs_uri.rstrip("/")
        return {
            "applicationId": self.emr_application_id,
            "executionRoleArn": self.emr_execution_role_arn,
            "name": run_name,
            "jobDriver": {
                "sparkSubmit": {
                    "entryPoint": f"{prefix}/{job}.py",
                    "sparkSubmitParameters": self._submit_parameters(),
                }
            },
        }

    def emr_containers_start_job_run_params(self, job: str, run_name: str) -> dict[str, Any]:
        """The EMR on EKS (emr-containers) StartJobRun request for a job script.

        `clientToken` is left out: boto3 fills it (an idempotency token), as for every such call.
        """
        if not (self.emr_virtual_cluster_id and self.emr_execution_role_arn and self.emr_jobs_uri):
            raise dg.DagsterInvariantViolationError(
                "mode=emr_containers needs emr_virtual_cluster_id, emr_execution_role_arn and emr_jobs_uri"
            )
        prefix = self.emr_jobs_uri.rstrip("/")
        return {
            "virtualClusterId": self.emr_virtual_cluster_id,
            "executionRoleArn": self.emr_execution_role_arn,
            "releaseLabel": self.emr_release_label,
            "name": run_name,
            "jobDriver": {
                "sparkSubmitJobDriver": {
                    "entryPoint": f"{prefix}/{job}.py",
                    "sparkSubmitParameters": self._submit_parameters(),
                }
            },
        }

    def spark_submit_command(self, job: str) -> list[str]:
        """The spark-submit command line of a bundled job script (spark_submit mode)."""
        if not (self.spark_master and self.bundle_dir):
            raise dg.DagsterInvariantViolationError("mode=spark_submit needs spark_master and bundle_dir")
        bundle = Path(self.bundle_dir)
        script = bundle / f"{job}.py"
        if not script.exists():
            raise dg.DagsterInvariantViolationError(f"no job script {script}: run `make package` first")
        import pyspark  # the spark-submit of the installed pyspark (the client's Spark version)

        jit = [
            arg
            for role in ("driver", "executor")
            for arg in ("--conf", f"spark.{role}.extraJavaOptions={HUGE_METHODS_JIT}")
        ]
        return [
            str(Path(pyspark.__file__).resolve().parent / "bin" / "spark-submit"),
            "--master",
            self.spark_master,
            "--py-files",
            str(bundle / "spark_jobs.zip"),
            *jit,
            *(["--conf", f"spark.pyspark.python={self.python}"] if self.python else []),
            *self.spark_submit_args,
            str(script),
        ]

    def _s3_channels(self) -> dict[str, Any]:
        """The S3 context injector and message reader when `pipes_s3_bucket` is set, else nothing."""
        if not self.pipes_s3_bucket:
            return {}
        import boto3
        from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader

        s3 = boto3.client("s3", endpoint_url=self.pipes_s3_endpoint)
        return {
            "context_injector": PipesS3ContextInjector(bucket=self.pipes_s3_bucket, client=s3),
            "message_reader": PipesS3MessageReader(bucket=self.pipes_s3_bucket, client=s3, interval=2),
        }

    def _run_spark_submit(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        job: str,
        extras: Mapping[str, Any],
        secrets: Mapping[str, str] | None,
    ) -> dg.PipesClientCompletedInvocation:
        from tardis_dagster.lib.spark_submit import PipesSparkSubmitClient

        env = {**(secrets or {}), JOB_TAG_ENV: job_tag(context)}
        if self.python:
            env["PYSPARK_PYTHON"] = self.python  # the driver's (client deploy mode: this machine)
        if self.pipes_s3_endpoint:
            env["AWS_ENDPOINT_URL_S3"] = self.pipes_s3_endpoint  # boto3 in the job reads it
        if self.s3_endpoint:
            env["TARDIS_S3_ENDPOINT"] = self.s3_endpoint
        channels = self._s3_channels()
        return PipesSparkSubmitClient(env=env, **channels).run(
            context=context, command=self.spark_submit_command(job), extras=dict(extras)
        )

    def _run_emr_serverless(
        self, context: dg.AssetExecutionContext | dg.OpExecutionContext, job: str, extras: Mapping[str, Any]
    ) -> dg.PipesClientCompletedInvocation:
        from dagster_aws.pipes import PipesEMRServerlessClient  # boto3 only needed in production

        params = self.emr_start_job_run_params(job, f"{job}-{context.run.run_id[:8]}")
        return PipesEMRServerlessClient(**self._s3_channels()).run(
            context=context,
            start_job_run_params=params,  # type: ignore[arg-type]
            extras=dict(extras),
        )

    def _run_emr_containers(
        self, context: dg.AssetExecutionContext | dg.OpExecutionContext, job: str, extras: Mapping[str, Any]
    ) -> dg.PipesClientCompletedInvocation:
        from dagster_aws.pipes import PipesEMRContainersClient  # boto3 only needed in production

        params = self.emr_containers_start_job_run_params(job, f"{job}-{context.run.run_id[:8]}")
        # Bootstrap parameters as driver environment (spark.kubernetes.driverEnv.*), as the job reads them.
        return PipesEMRContainersClient(pipes_params_bootstrap_method="env", **self._s3_channels()).run(
            context=context,
            start_job_run_params=params,  # type: ignore[arg-type]
            extras=dict(extras),
        )


def job_tag(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> str:
    """The Spark job tag of this run and step (telemetry finds the step's Spark jobs by it)."""
    op = context.op_execution_context if isinstance(context, dg.AssetExecutionContext) else context
    return spark_job_tag(context.run.run_id, op.get_step_execution_context().step.key)
