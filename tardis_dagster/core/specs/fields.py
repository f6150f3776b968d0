"""Constrained text fields of a spec (names, versions, contacts, schedules, ...) as pydantic types.

Each check raises a PydanticCustomError of type ``tardis`` carrying its own message and fix, which
the error translator prints as-is; the JSON Schema side gets a pattern so editors flag it too.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from tardis_dagster.core.specs.cron import cron_problem, normalize_cron
from tardis_dagster.core.specs.datatypes import TYPE_HINT, TypeSyntaxError, parse_type
from tardis_dagster.core.specs.identifiers import (
    IDENTIFIER_PATTERN,
    MAX_IDENTIFIER_LENGTH,
    identifier_problem,
)
from tardis_dagster.core.specs.partitioning import PARTITION_HINT, PartitionSyntaxError, parse_partition
from tardis_dagster.core.specs.problems import did_you_mean

TARDIS_ERROR = "tardis"
SCHEDULE_KEYWORDS = ("on_upstream", "streaming")

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SLACK_CHANNEL_PATTERN = r"^#[a-z0-9][a-z0-9._-]{0,79}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_SLACK = re.compile(SLACK_CHANNEL_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
DURATION_PATTERN = r"^([1-9][0-9]*)([smhd])$"
_DURATION = re.compile(DURATION_PATTERN)
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Ten years: longer is no freshness check, and far longer overflows timedelta and BIGINT seconds.
MAX_DURATION_SECONDS = 3650 * 86400
# count(*) is a BIGINT.
MAX_ROW_COUNT = 2**63 - 1
# A bound must be a literal Spark can compare with any numeric column: decimal(38,0) holds < 1e38.
MAX_NUMBER = 1e38
KAFKA_TOPIC_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"
_KAFKA_TOPIC = re.compile(KAFKA_TOPIC_PATTERN)
PROTO_MESSAGE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
_PROTO_MESSAGE = re.compile(PROTO_MESSAGE_PATTERN)


def tardis_error(message: str, fix: str) -> PydanticCustomError:
    """A validation error whose message and fix are printed verbatim by the translator."""
    return PydanticCustomError(TARDIS_ERROR, "{message}", {"message": message, "fix": fix})


def _identifier(value: str) -> str:
    issue = identifier_problem(value)
    if issue is not None:
        raise tardis_error(*issue)
    return value


def _product_name(value: str) -> str:
    _identifier(value)
    if "__" in value:
        raise tardis_error(
            f"'{value}' contains '__'",
            "use single underscores; '__' is reserved for platform tables like <name>__rejects",
        )
    return value


def _semver(value: str) -> str:
    if not _SEMVER.fullmatch(value):
        raise tardis_error(f"'{value}' is not a semantic version", "write MAJOR.MINOR.PATCH, e.g. 1.0.0")
    return value


def _semver_number(value: Any) -> Any:
    # `version: 1.0` is a float to YAML; say what to write rather than "must be text".
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise tardis_error(f"{value} is not a semantic version", "write MAJOR.MINOR.PATCH, e.g. 1.0.0")
    return value


def _contact(value: str) -> str:
    if _SLACK.fullmatch(value) or _EMAIL.fullmatch(value):
        return value
    if value.startswith("#"):
        fix = "Slack channels are lowercase letters, digits, '-', '_' and '.', e.g. \"#team-data\""
    else:
        fix = 'use a quoted Slack channel like "#team-data", or an email address'
    raise tardis_error(f"'{value}' is not a Slack channel or an email address", fix)


def _schedule(value: str) -> str:
    if value in SCHEDULE_KEYWORDS:
        return value
    fields = value.split()
    if len(fields) == 1 and not value.strip().startswith("@"):
        close = did_you_mean(value, SCHEDULE_KEYWORDS)
        fix = (
            f"did you mean '{close}'?"
            if close
            else 'use a 5-field cron like "0 * * * *", on_upstream or streaming'
        )
        raise tardis_error(f"'{value[:40]}' is not a schedule", fix)
    problem = cron_problem(value)
    if problem is not None:
        raise tardis_error(*problem)
    return normalize_cron(value)


def _duration(value: str) -> str:
    match = _DURATION.fullmatch(value)
    if not match:
        raise tardis_error(
            f"'{value[:40]}' is not a duration", "write a number and a unit s, m, h or d, e.g. 30m, 2h, 1d"
        )
    # Compare digit counts first: int() of thousands of digits is slow, and refused past 4,300.
    too_long = len(match.group(1)) > 12
    if too_long or int(match.group(1)) * _DURATION_SECONDS[match.group(2)] > MAX_DURATION_SECONDS:
        raise tardis_error(
            f"'{value[:40]}' is too long a duration",
            f"use at most {MAX_DURATION_SECONDS // 86400}d (ten years), e.g. 1d or 30d",
        )
    return value


def duration_seconds(value: str) -> int:
    """Seconds in a duration such as ``30m`` (already validated)."""
    match = _DURATION.fullmatch(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2)]


def _column_type(value: str) -> str:
    try:
        return str(parse_type(value))
    except TypeSyntaxError as error:
        raise tardis_error(error.message, error.fix) from None


def _partition(value: str) -> str:
    try:
        return str(parse_partition(value))
    except PartitionSyntaxError as error:
        raise tardis_error(error.message, error.fix) from None


def _kafka_topic(value: str) -> str:
    if not _KAFKA_TOPIC.fullmatch(value):
        raise tardis_error(
            f"'{value}' is not a valid Kafka topic name", "use letters, digits, '.', '_' and '-' only"
        )
    return value


def _proto_message(value: str) -> str:
    if not _PROTO_MESSAGE.fullmatch(value):
        raise tardis_error(
            f"'{value}' is not a protobuf message name", "write the message name, e.g. Order or shop.v1.Order"
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise tardis_error("is empty", "write some text")
    return value


def _reader_option(value: Any) -> Any:
    # Reader options are strings for Spark; YAML turns `header: true` into a bool, so take it back.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _scalar_value(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        raise tardis_error(
            "must be a single value (text, number or true/false)", "write one value per list item"
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        _finite_number(value)
    return value


def _finite_number(value: float) -> float:
    # YAML's .nan/.inf and huge numbers pass a float field but cannot become a Spark SQL literal.
    if math.isnan(value) or math.isinf(value):
        raise tardis_error(
            f"{value} is not a number a column can be compared with",
            "write a finite number; leave the bound out for no limit on that side",
        )
    if abs(value) >= MAX_NUMBER:
        raise tardis_error(
            f"{value:.3g} is too large", "use a number between -1e38 and 1e38 (what decimal(38,0) holds)"
        )
    return value


def _row_count(value: int) -> int:
    if not 0 <= value <= MAX_ROW_COUNT:
        raise tardis_error(
            f"{value if abs(value) < 10**20 else f'{value:.3g}'} is not a possible row count",
            f"use a whole number from 0 to {MAX_ROW_COUNT:,}",
        )
    return value


def _string_schema(pattern: str | None = None, max_length: int | None = None, **extra: Any) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", **extra}
    if pattern is not None:
        schema["pattern"] = pattern
    if max_length is not None:
        schema["maxLength"] = max_length
    return WithJsonSchema(schema)


# Checked by pydantic-core's own pattern (no Python call per name: specs hold ~20 names each);
# the error translator turns a mismatch into the same message as identifier_problem().
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN, max_length=MAX_IDENTIFIER_LENGTH)]
ProductName = Annotated[
    str,
    AfterValidator(_product_name),
    _string_schema(r"^[a-z](?!.*__)[a-z0-9_]*$", MAX_IDENTIFIER_LENGTH),
]
SemVer = Annotated[
    str,
    BeforeValidator(_semver_number),
    AfterValidator(_semver),
    _string_schema(_SEMVER.pattern, examples=["1.0.0"]),
]
Contact = Annotated[
    str,
    AfterValidator(_contact),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": SLACK_CHANNEL_PATTERN},
                {"type": "string", "pattern": EMAIL_PATTERN},
            ],
            "examples": ["#team-data", "team@example.com"],
        }
    ),
]
Schedule = Annotated[
    str,
    AfterValidator(_schedule),
    _string_schema(examples=["0 * * * *", "on_upstream", "streaming"]),
]
Duration = Annotated[
    str, AfterValidator(_duration), _string_schema(DURATION_PATTERN, examples=["30m", "2h", "1d"])
]
ColumnType = Annotated[
    str,
    AfterValidator(_column_type),
    _string_schema(
        r"^\s*[A-Za-z]+\s*(\(\s*\d+\s*,\s*\d+\s*\)|<.+>)?\s*$",
        description=TYPE_HINT,
        examples=["string", "bigint", "timestamp", "decimal(10,2)", "array<string>", "struct<street:string>"],
    ),
]
PartitionEntry = Annotated[
    str,
    AfterValidator(_partition),
    _string_schema(
        r"^\s*([a-z][a-z0-9_]*|(year|month|day|hour)\(\s*[a-z][a-z0-9_]*\s*\)"
        r"|(bucket|truncate)\(\s*[0-9]+\s*,\s*[a-z][a-z0-9_]*\s*\))\s*$",
        description=PARTITION_HINT,
    ),
]
KafkaTopic = Annotated[str, AfterValidator(_kafka_topic), _string_schema(KAFKA_TOPIC_PATTERN)]
ProtoMessage = Annotated[str, AfterValidator(_proto_message), _string_schema(PROTO_MESSAGE_PATTERN)]
Text = Annotated[str, AfterValidator(_not_blank), WithJsonSchema({"type": "string", "minLength": 1})]
ReaderOption = Annotated[
    str, BeforeValidator(_reader_option), WithJsonSchema({"type": ["string", "number", "boolean"]})
]
ScalarValue = Annotated[
    str | int | float | bool,
    BeforeValidator(_scalar_value),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]
Bound = Annotated[
    float,
    AfterValidator(_finite_number),
    WithJsonSchema({"type": "number", "exclusiveMinimum": -MAX_NUMBER, "exclusiveMaximum": MAX_NUMBER}),
]
RowCount = Annotated[
    int,
    AfterValidator(_row_count),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_ROW_COUNT}),
]
