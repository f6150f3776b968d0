"""Spark job scripts, launched by `lib.spark_runner.SparkJobRunner` through Dagster Pipes.

These modules run inside the Spark driver (locally a Spark Connect client, in production an EMR job),
so they import only pyspark, dagster_pipes, the core (`tardis_dagster.core`) and each other: this
package plus the core is the bundle shipped to a cluster. Each job parses its typed input
(`core.jobs_io`) and reports its typed result.
"""
