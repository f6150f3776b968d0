"""SQL from specs, read with a real parser (sqlglot, Spark dialect): the platform's own template tags
(`template`), the read-only guard (`guard`) and the column lineage that decides what PII reaches
samples and alerts (`lineage`). No Dagster, no pyspark, no pydantic: the Spark jobs use it too."""
