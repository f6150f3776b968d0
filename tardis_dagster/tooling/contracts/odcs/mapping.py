"""Where each spec field lives in an ODCS v3 contract: the names, types and vocabularies both ways share."""

from __future__ import annotations

import re

from tardis_dagster.core.specs.identifiers import is_identifier, snake_case

# The version every export declares, and validates against (the standard's official JSON Schema of it).
ODCS_API_VERSION = "v3.1.0"
ODCS_KIND = "DataContract"
OWNER_ROLE = "owner"
STAKEHOLDER_ROLE = "stakeholder"
FREQUENCY = "frequency"
LATENCY_PROPERTIES = ("latency", "freshness")

# Tardis-only settings ride in custom properties (v3.1.0 has no `vendor` field: the name carries it).
SOURCE_PROPERTY = "tardisSource"
LOAD_PROPERTY = "tardisLoad"
VAULT_PROPERTY = "tardisVault"
RULE_PROPERTY = "tardisRule"
# The names exports before v3.1.0 used (with `vendor: tardis`), still read on import.
LEGACY_NAMES = {
    SOURCE_PROPERTY: "source",
    LOAD_PROPERTY: "load",
    VAULT_PROPERTY: "vault",
    RULE_PROPERTY: "rule",
}
LEGACY_PII = "pii"

# Tardis type name -> ODCS v3.1.0 logicalType (v3.1.0 has no map: a map is an object with a map physicalType).
LOGICAL_TYPES = {
    "string": "string",
    "int": "integer",
    "bigint": "integer",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "array": "array",
    "struct": "object",
    "map": "object",
}

# A foreign physicalType (another engine's type) -> the Tardis type, by its name before any "(".
FOREIGN_TYPES = {
    "varchar": "string",
    "char": "string",
    "nvarchar": "string",
    "nchar": "string",
    "text": "string",
    "clob": "string",
    "character": "string",
    "uuid": "string",
    "str": "string",
    "integer": "int",
    "int4": "int",
    "int32": "int",
    "smallint": "int",
    "int2": "int",
    "tinyint": "int",
    "int8": "bigint",
    "int64": "bigint",
    "long": "bigint",
    "real": "float",
    "float4": "float",
    "float8": "double",
    "double precision": "double",
    "bool": "boolean",
    "datetime": "timestamp",
    "datetime2": "timestamp",
    "timestamptz": "timestamp",
    "timestamp_ntz": "timestamp",
    "timestamp_ltz": "timestamp",
    "timestamp_tz": "timestamp",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
}
DECIMAL_NAMES = ("decimal", "numeric", "number")
# Types Spark has no column type for: kept as text, and said so.
TEXT_TYPES = {
    "json": "JSON text",
    "jsonb": "JSON text",
    "variant": "JSON text",
    "xml": "XML text",
    "time": "a time of day as text (HH:mm:ss)",
    "interval": "an interval as text",
    "binary": "binary data as base64 text",
    "bytes": "binary data as base64 text",
    "bytea": "binary data as base64 text",
    "blob": "binary data as base64 text",
    "varbinary": "binary data as base64 text",
}
# logicalType -> Tardis type when the physicalType says nothing Tardis knows.
TYPE_FOR_LOGICAL = {
    "string": "string",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
SMALL_INTEGER_FORMATS = ("i8", "i16", "i32", "u8", "u16")

# classification values that mean personal or secret data: such a column is PII in Tardis (hashed).
PII_CLASSIFICATIONS = frozenset(
    {"pii", "restricted", "confidential", "sensitive", "secret", "private", "personal", "spi", "phi"}
)
EXPORTED_PII_CLASSIFICATION = "restricted"

DIMENSIONS = {
    "row_count": "completeness",
    "freshness": "timeliness",
    "not_null": "completeness",
    "unique": "uniqueness",
    "accepted_values": "conformity",
    "range": "conformity",
}
SEVERITIES = {"error": "error", "warn": "warning"}
IMPORTED_SEVERITIES = {
    "error": "error",
    "critical": "error",
    "high": "error",
    "fatal": "error",
    "warning": "warn",
    "warn": "warn",
    "medium": "warn",
    "low": "warn",
    "info": "warn",
}
ZERO_VIOLATIONS = (("mustBe", 0), ("mustBeLessOrEqualTo", 0), ("mustBeLessThan", 1))
# ODCS comparison operators -> SQL, for thresholds Tardis checks as a query that must return 0.
OPERATORS = {
    "mustBe": "=",
    "mustNotBe": "<>",
    "mustBeGreaterThan": ">",
    "mustBeGreaterOrEqualTo": ">=",
    "mustBeLessThan": "<",
    "mustBeLessOrEqualTo": "<=",
}
RANGE_OPERATORS = ("mustBeBetween", "mustNotBeBetween")

# SLA units (ODCS: "d, day, days", ...) -> the spec's duration unit.
DURATION_UNITS = {
    "s": "s",
    "sec": "s",
    "second": "s",
    "seconds": "s",
    "m": "m",
    "min": "m",
    "minute": "m",
    "minutes": "m",
    "h": "h",
    "hr": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def tardis_name(text: object) -> str | None:
    """`text` as a valid Tardis name (snake_case), or None when nothing usable is left (or it is a UUID)."""
    if not isinstance(text, str) or not text.strip() or _UUID.fullmatch(text.strip()):
        return None
    if is_identifier(text):
        return text
    name = snake_case(text.strip())
    return name if is_identifier(name) else None


def is_pii_classification(value: object) -> bool:
    """True when an ODCS `classification` marks personal or secret data."""
    return isinstance(value, str) and value.strip().lower() in PII_CLASSIFICATIONS
