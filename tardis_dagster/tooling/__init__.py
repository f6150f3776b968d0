"""Tooling around the code location, never loaded by it: the `tardis` CLI, contract pre-flight
(`contracts/`), dbt code generation (`codegen/`), demo data, the local platform and streams."""
