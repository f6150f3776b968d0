"""ODCS servers as a spec source: a Kafka topic, or files in an object store or folder."""

from __future__ import annotations

import re
from typing import Any

_KAFKA_FORMATS = ("json", "avro", "protobuf")
_FILE_FORMATS = ("parquet", "json", "csv")
_FILE_SERVERS = ("s3", "azure", "sftp", "local", "glue", "custom")
_GLOB = re.compile(r"[*?\[]")


def server_source(server: dict[str, Any], obj: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The spec source a server describes, or why it describes none (None when it is the lake itself)."""
    kind = str(server.get("type") or "").lower()
    fmt = str(server.get("format") or "").lower()
    object_name = str(obj.get("name"))
    if fmt == "iceberg":
        return None, None  # the lake Tardis publishes to (an export's own server)
    if kind == "kafka":
        topic = str(obj.get("physicalName") or object_name)
        fmt = fmt or "json"  # the standard's default for kafka servers
        if fmt not in _KAFKA_FORMATS:
            return None, f"kafka format {fmt!r} is not json, avro or protobuf"
        # Confluent's default TopicNameStrategy names the value subject <topic>-value
        kafka: dict[str, Any] = {"topic": topic, "format": fmt, "registry_subject": f"{topic}-value"}
        if fmt == "protobuf":
            kafka["message"] = object_name
        return {"kafka": kafka}, None
    if kind in _FILE_SERVERS:
        where = server.get("location") or server.get("path")
        if not where:
            return None, f"a {kind} server without location or path"
        if fmt not in _FILE_FORMATS:
            return None, f"file format {fmt or '(none)'!r} is not parquet, json or csv"
        uri = re.sub(r"\{(?:model|object|table)\}", object_name, str(where))
        files: dict[str, Any] = {"uri": uri, "format": fmt}
        head, _, last = uri.rpartition("/")
        if _GLOB.search(last):
            files = {"uri": head + "/", "format": fmt, "pattern": last}
        if fmt == "csv" and server.get("delimiter"):
            files["options"] = {"delimiter": str(server["delimiter"])}
        return {"files": files}, None
    return (
        None,
        f"server type {kind!r} is not a source Tardis lands from (kafka, or files on s3/azure/sftp/local)",
    )
