"""Message formats of Kafka sources: JSON Schema, Avro and Protobuf, and their Spark types.

Pure Python on purpose (no Dagster, no spec model): Spark job scripts import this package, and it is
shipped to EMR next to them.

    from tardis_dagster.core.formats import avro, jsonschema, protobuf, spark_types

- `protobuf`: compile a .proto into a descriptor set, get a message class, decode to a dict.
- `avro`: parse an .avsc, schemaless encode/decode, Confluent wire format (magic byte + schema id).
- `jsonschema`: load a JSON Schema and validate records against it.
- `spark_types`: each schema kind as a Spark DDL struct string (for `from_json`, `createDataFrame`).
"""

import importlib
from types import ModuleType

__all__ = ["avro", "jsonschema", "protobuf", "spark_types"]


def __getattr__(name: str) -> ModuleType:
    """Import a format module on first use: a job that reads Protobuf needs no fastavro, and vice versa."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
