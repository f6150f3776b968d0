"""The Spark session of a job process: a Spark Connect client locally, the cluster's own on EMR."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tardis_dagster.core.settings import JobEnvironment


def spark_session(app_name: str, environment: JobEnvironment, remote: str | None = None) -> SparkSession:
    """The session: a Spark Connect client when SPARK_REMOTE is set (local), else the cluster's own.

    `remote` names a Spark Connect server explicitly (for callers outside a job process). With a job
    tag (set by the job runner), the session's jobs carry it; with an S3 endpoint (a local S3
    emulator), S3A is pointed at it for this session only.
    """
    builder = SparkSession.builder.appName(app_name)
    spark = (builder.remote(remote) if remote else builder).getOrCreate()
    if environment.job_tag and remote is None:
        # Every Spark job of this process carries the Dagster run and step: telemetry finds its
        # CPU time and bytes in the Spark UI by this tag.
        spark.addTag(environment.job_tag)
    if environment.s3_endpoint:
        for key, value in s3_endpoint_conf(environment).items():
            spark.conf.set(key, value)
    return spark


def s3_endpoint_conf(environment: JobEnvironment) -> dict[str, str]:
    """Hadoop S3A settings for an S3-compatible endpoint other than AWS (moto, MinIO)."""
    endpoint = environment.s3_endpoint or ""
    return {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": environment.aws_region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
        "fs.s3a.access.key": environment.aws_access_key_id,
        "fs.s3a.secret.key": environment.aws_secret_access_key,
        # Hadoop caches one filesystem per bucket for the JVM; another session may use another endpoint.
        "fs.s3a.impl.disable.cache": "true",
        "fs.s3.impl.disable.cache": "true",
    }
