"""A Pipes client that spark-submits a bundled job to a Spark cluster, with the channels of EMR.

`dg.PipesSubprocessClient` fixes its own channels (a temp file context, a file message reader);
EMR runs pass the context and messages through S3. This client takes any context injector and
message reader (the runner gives it `PipesS3ContextInjector` and `PipesS3MessageReader`), starts
`spark-submit` (client deploy mode: the driver is that process, so the bootstrap environment reaches
it) and waits for it, so a test on a standalone cluster exercises the production channel code.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

# pyspark sets these in the calling process once it has made a Spark Connect session; inherited by
# spark-submit, they would turn the job's own session into a Connect client (which needs pandas).
_SPARK_CONNECT_VARIABLES = ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE")


def submit_environment(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """`base` without the Spark Connect switches, then `extra`: a submitted job runs on its cluster."""
    inherited = {k: v for k, v in base.items() if k not in _SPARK_CONNECT_VARIABLES}
    return {**inherited, **extra}


class PipesSparkSubmitClient(dg.PipesClient):
    """Runs a `spark-submit` command under a Pipes session with the given channels."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        context_injector: dg.PipesContextInjector | None = None,
        message_reader: dg.PipesMessageReader | None = None,
    ) -> None:
        self.env = dict(env or {})
        self.context_injector = context_injector or dg.PipesEnvContextInjector()
        self.message_reader = message_reader or dg.PipesTempFileMessageReader()

    @classmethod
    def _is_dagster_maintained(cls) -> bool:
        return False

    def run(  # type: ignore[override]
        self,
        *,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        command: Sequence[str],
        extras: dict[str, Any] | None = None,
    ) -> dg.PipesClientCompletedInvocation:
        """Run `command` (a spark-submit line) and return what the job reported."""
        with dg.open_pipes_session(
            context=context,
            context_injector=self.context_injector,
            message_reader=self.message_reader,
            extras=extras,
        ) as session:
            env = submit_environment(os.environ, {**self.env, **session.get_bootstrap_env_vars()})
            context.log.info(f"[pipes] spark-submit of {command[-1]}")
            returncode = subprocess.run(list(command), env=env, check=False).returncode
            if returncode != 0:
                raise dg.Failure(
                    description=f"spark-submit of {command[-1]} failed with exit code {returncode} "
                    "(its output is in the step's stdout/stderr)"
                )
        return dg.PipesClientCompletedInvocation(session)
