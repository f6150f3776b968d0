"""Spark job scripts, launched by `resources.spark.SparkJobRunner` through Dagster Pipes.

These modules run inside the Spark driver (locally a Spark Connect client, in production an EMR job),
so they import only pyspark, dagster_pipes and each other, never the rest of tardis_dagster.
"""

# Set by the job runner to tag every Spark job of a step (read by `common.spark_session`).
JOB_TAG_ENV = "TARDIS_SPARK_JOB_TAG"

# A JVM option for every Spark driver and executor of the platform (local server and EMR). HotSpot
# does not JIT-compile methods over 8,000 bytecodes; whole-stage codegen of a wide row with many
# checks (the JSON validation of Kafka landing) crosses that, and ran about 2x slower interpreted.
HUGE_METHODS_JIT = "-XX:-DontCompileHugeMethods"
