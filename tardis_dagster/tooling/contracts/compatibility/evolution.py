"""Check a Kafka schema file against its earlier versions under a mode, whatever its format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tardis_dagster.core.formats import jsonschema as jsonschema_files
from tardis_dagster.tooling.contracts.compatibility import avro, jsonschema, protobuf
from tardis_dagster.tooling.contracts.compatibility.modes import Incompatibility, Mode, check_mode

Loader = Callable[[Path], Any]


def _load_avro(path: Path) -> Any:
    return avro.parse(path.read_text(encoding="utf-8"))


LOADERS: dict[str, Loader] = {
    "json": jsonschema_files.load,
    "avro": _load_avro,
    "protobuf": protobuf.load,
}
CHECKERS: dict[str, Callable[[Any, Any], list[str]]] = {
    "json": jsonschema.incompatibilities,
    "avro": avro.incompatibilities,
    "protobuf": protobuf.incompatibilities,
}


def load_schema(kafka_format: str, path: Path) -> Any:
    """The parsed schema of `kafka_format` (json, avro, protobuf) at `path`; ValueError naming the file."""
    try:
        return LOADERS[kafka_format](path)
    except KeyError:
        raise ValueError(f"unknown Kafka format {kafka_format!r}") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the schema: {error.strerror or error}") from None
    except ValueError as error:
        message = str(error)
        raise ValueError(message if str(path) in message else f"{path}: {message}") from None


def check_files(
    kafka_format: str,
    mode: Mode,
    new: Path,
    earlier: Sequence[Path],
    labels: Sequence[str] | None = None,
) -> list[Incompatibility]:
    """Incompatibilities of schema file `new` with the `earlier` files (oldest first) under `mode`.

    Non-transitive modes read only the latest earlier file.
    """
    if mode == "NONE" or not earlier:
        return []
    names = list(labels) if labels is not None else [f"version {i}" for i in range(1, len(earlier) + 1)]
    if not mode.endswith("_TRANSITIVE"):
        earlier, names = earlier[-1:], names[-1:]
    schemas = [load_schema(kafka_format, path) for path in earlier]
    return check_mode(mode, load_schema(kafka_format, new), schemas, CHECKERS[kafka_format], names)
