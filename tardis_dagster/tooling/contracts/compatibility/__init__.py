"""Kafka schema evolution checks with Confluent Schema Registry semantics, per format.

Each format module offers `incompatibilities(reader, writer) -> list[str]`: why data written with
`writer` cannot be read with `reader` (empty when it can). `modes` turns a compatibility mode into
the reader/writer pairs to check. `jsonschema_model` builds the schema tree the JSON Schema
comparison runs on (Confluent's, from everit).
"""
