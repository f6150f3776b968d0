"""Both production modes' StartJobRun requests are valid against botocore's own service models.

botocore validates a request against the operation's input shape before sending it; the same check
runs here (`botocore.validate.validate_parameters`), after botocore's handler fills the idempotency
token as it does on a real call. No AWS call is made: the client is only a source of its model.
"""

from __future__ import annotations

import boto3
import botocore.handlers
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from tardis_dagster.lib.spark_runner import SparkJobRunner

ROLE = "arn:aws:iam::123456789012:role/tardis-jobs"
JOBS = "s3://tardis-artifacts/jobs/"


def _validate(service: str, operation: str, params: dict) -> None:
    client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    model = client.meta.service_model.operation_model(operation)
    params = dict(params)
    botocore.handlers.generate_idempotent_uuid(params, model)  # what botocore does before validating
    validate_parameters(params, model.input_shape)


def test_emr_serverless_request_matches_the_start_job_run_shape() -> None:
    runner = SparkJobRunner(
        mode="emr_serverless", emr_application_id="00fabc", emr_execution_role_arn=ROLE, emr_jobs_uri=JOBS
    )
    params = runner.emr_start_job_run_params("standardize", "standardize-1a2b3c4d")
    _validate("emr-serverless", "StartJobRun", params)
    assert params["jobDriver"]["sparkSubmit"]["entryPoint"] == f"{JOBS}standardize.py"


def test_emr_containers_request_matches_the_start_job_run_shape() -> None:
    runner = SparkJobRunner(
        mode="emr_containers",
        emr_virtual_cluster_id="vc0123456789abcdef",
        emr_execution_role_arn=ROLE,
        emr_jobs_uri=JOBS,
        emr_spark_submit_parameters="--conf spark.executor.instances=4",
    )
    params = runner.emr_containers_start_job_run_params("land_files", "land_files-1a2b3c4d")
    _validate("emr-containers", "StartJobRun", params)
    driver = params["jobDriver"]["sparkSubmitJobDriver"]
    assert driver["entryPoint"] == f"{JOBS}land_files.py"
    assert driver["sparkSubmitParameters"].startswith(f"--py-files {JOBS}spark_jobs.zip")
    assert driver["sparkSubmitParameters"].endswith("spark.executor.instances=4")
    assert params["releaseLabel"].startswith("emr-")


def test_the_validation_refuses_a_request_of_the_other_service() -> None:
    # The check can fail: the Serverless request is not an EMR on EKS request.
    runner = SparkJobRunner(
        mode="emr_serverless", emr_application_id="00fabc", emr_execution_role_arn=ROLE, emr_jobs_uri=JOBS
    )
    with pytest.raises(ParamValidationError, match=r"virtualClusterId|sparkSubmit"):
        _validate("emr-containers", "StartJobRun", runner.emr_start_job_run_params("land_files", "x"))


def test_emr_containers_without_its_settings_is_a_clear_error() -> None:
    import dagster as dg

    with pytest.raises(dg.DagsterInvariantViolationError, match="emr_virtual_cluster_id"):
        SparkJobRunner(mode="emr_containers").emr_containers_start_job_run_params("land_files", "x")


class _Session:
    """The two things a Pipes client's request enrichment reads from its session."""

    default_remote_invocation_info = {"dagster/run-id": "1a2b3c4d"}

    def get_bootstrap_env_vars(self) -> dict[str, str]:
        return {
            "DAGSTER_PIPES_CONTEXT": "eJyrVkpKLS4pVrJSUEouSUzJTFGyMjQ2MDSwMDA0MzQ3MdMxMzE0NzA0",
            "DAGSTER_PIPES_MESSAGES": "eJw",
        }


@pytest.mark.parametrize("mode", ["emr_serverless", "emr_containers"])
def test_the_request_dagster_pipes_sends_is_valid_too(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Pipes clients add tags and the bootstrap environment to our request before sending it.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # their default CloudWatch reader's client
    from dagster_aws.pipes import PipesEMRContainersClient, PipesEMRServerlessClient

    runner = SparkJobRunner(
        mode=mode,
        emr_application_id="00fabc",
        emr_virtual_cluster_id="vc0123456789abcdef",
        emr_execution_role_arn=ROLE,
        emr_jobs_uri=JOBS,
    )
    if mode == "emr_serverless":
        client = PipesEMRServerlessClient(client=boto3.client("emr-serverless", region_name="eu-west-1"))
        params = runner.emr_start_job_run_params("land_files", "x")
    else:
        client = PipesEMRContainersClient(
            client=boto3.client("emr-containers", region_name="eu-west-1"),
            pipes_params_bootstrap_method="env",
        )
        params = runner.emr_containers_start_job_run_params("land_files", "x")
    enriched = client._enrich_start_params(None, _Session(), params)  # type: ignore[arg-type]
    _validate(mode.replace("_", "-"), "StartJobRun", enriched)
    assert "DAGSTER_PIPES_CONTEXT" in str(enriched)
