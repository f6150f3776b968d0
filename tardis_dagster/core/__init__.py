"""The core: what a data product is and every name and contract derived from it.

Neither Dagster nor pyspark: the spec model (`specs/`), message formats (`formats/`), naming rules
(`naming`), the typed job contracts (`jobs_io`, `metadata`), quality SQL (`quality`), settings
(`settings`). The Spark jobs, the Dagster definitions and the tooling all build on it.
"""
