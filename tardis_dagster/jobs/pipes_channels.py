"""The Pipes channels of a job process, chosen by what the orchestrator sent, so one script runs anywhere.

Locally (`PipesSubprocessClient`) the context and messages travel through files or the environment:
dagster-pipes' defaults. In production (EMR Serverless, EMR on EKS, a standalone cluster via
spark-submit) the runner puts the context in S3 and reads messages from S3
(`PipesS3ContextInjector`, `PipesS3MessageReader`); the bootstrap parameters then name a bucket, and
the job answers with dagster-pipes' S3 loader and writer. boto3 is imported only then (EMR has it).
"""

from __future__ import annotations

from typing import Any

from dagster_pipes import (
    PipesContext,
    PipesEnvVarParamsLoader,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)

# Seconds between the job's uploads of message chunks to S3 (dagster-pipes' default is 10).
S3_MESSAGE_INTERVAL_S = 2.0


def channel_arguments(params_loader: PipesEnvVarParamsLoader | None = None) -> dict[str, Any]:
    """`open_dagster_pipes` keyword arguments for the channels the orchestrator chose."""
    loader = params_loader or PipesEnvVarParamsLoader()
    if not loader.is_dagster_pipes_process():
        return {}
    arguments: dict[str, Any] = {}
    context = loader.load_context_params()
    messages = loader.load_messages_params()
    if "bucket" in context or "bucket" in messages:
        import boto3  # the endpoint and credentials come from the job's environment (AWS_ENDPOINT_URL_S3)

        s3 = boto3.client("s3")
        if "bucket" in context:
            arguments["context_loader"] = PipesS3ContextLoader(client=s3)
        if "bucket" in messages:
            arguments["message_writer"] = PipesS3MessageWriter(client=s3, interval=S3_MESSAGE_INTERVAL_S)
    return arguments


def open_job_pipes() -> PipesContext:
    """`open_dagster_pipes()` over the channels the orchestrator chose (a context manager, like it)."""
    return open_dagster_pipes(**channel_arguments())
