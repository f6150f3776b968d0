"""Strict JSON (RFC 8259) for Spark's JSON reader: its options set strict, and native checks for the rest.

Spark's `from_json` (Jackson) is lenient by default: it takes single-quoted strings and the bare
words NaN/Infinity (`allowSingleQuotes`, `allowNonNumericNumbers` default to true). `READER_OPTIONS`
switches every leniency off. What no option expresses is checked here, as cheap column expressions:

- one JSON value and nothing after it: `from_json` reads the first value and ignores the rest
  (`{"a":1} x`, `{"a":1}{"a":2}`). Wrapped as `[<text>]` the text must be one array element, and
  wrapped as `{"k":<text>}` it must close the object: data after the value breaks at least one of
  the two, whatever it is (Spark's `json_array_length` and `json_object_keys` parse with Jackson's
  strict defaults and return null for malformed text);
- valid UTF-8: Spark decodes the bytes with replacement characters, so `"\\xff"` would land as U+FFFD;
- numbers that overflow a double (`1e400`, read as Infinity);
- nesting depth, capped at `MAX_DEPTH` levels (`maxNestingDepth`): deeper records are quarantined.

Duplicate keys are accepted, the last one winning, as RFC 8259 allows ("names SHOULD be unique") and
as Python's `json` and Spark both read them. A leading byte-order mark is refused (RFC 8259 §8.1:
"MUST NOT add a byte order mark"), as Python's `json.loads` of the decoded text refuses it.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.core.formats.strict_json import MAX_DEPTH

# Every Jackson leniency Spark exposes, off (https://spark.apache.org/docs/latest/sql-data-sources-json.html).
READER_OPTIONS = {
    "allowComments": "false",
    "allowUnquotedFieldNames": "false",
    "allowSingleQuotes": "false",
    "allowNumericLeadingZeros": "false",
    "allowNonNumericNumbers": "false",
    "allowBackslashEscapingAnyCharacter": "false",
    "allowUnquotedControlChars": "false",
    "maxNestingDepth": str(MAX_DEPTH),
}

NOT_UTF8 = "not valid UTF-8"
NOT_ONE_VALUE = (
    "not one strict JSON value (malformed JSON, data after the value, "
    f"or nested deeper than {MAX_DEPTH} levels)"
)
OVERFLOW = "a number overflows a double (e.g. 1e400)"

# A JSON string, unrolled (no alternation inside a loop: Java's regex engine recurses per
# alternation, which a record with many escapes would overflow).
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
# Numbers that a double can overflow: with an exponent, or 309+ integer digits and a fraction
# (a JSON integer without fraction or exponent is an integer, never a double).
_BIG_NUMBER = r"-?\d+(?:\.\d+)?[eE][+-]?\d+|-?\d{309,}\.\d+"
# Cheap pre-filter: an exponent of three digits or a run of 309 digits somewhere in the text.
_MAYBE_BIG = r"[eE]\+?\d{3}|\d{309}"


def valid_utf8(value: Column, spark_version: str) -> Column:
    """True when the binary `value` is valid UTF-8.

    Spark 4 has `is_valid_utf8`; Spark 3.5 (EMR) lacks it, but its `decode` replaces invalid bytes,
    so a round trip that changes the bytes shows them (Spark 4's `decode` raises instead).
    """
    if int(spark_version.split(".")[0]) >= 4:
        return F.call_function("is_valid_utf8", value)
    return F.encode(F.decode(value, "UTF-8"), "UTF-8") == value


def one_value(text: Column) -> Column:
    """True when `text` is exactly one strict JSON value (surrounding whitespace allowed)."""
    as_element = F.json_array_length(F.concat(F.lit("["), text, F.lit("]")))
    as_member = F.json_object_keys(F.concat(F.lit('{"k":'), text, F.lit("}")))
    return F.coalesce((as_element == 1) & as_member.isNotNull(), F.lit(False))


def overflows(text: Column) -> Column:
    """True when a number outside the strings of `text` overflows a double."""
    numbers = F.regexp_extract_all(F.regexp_replace(text, _STRING, '""'), F.lit(_BIG_NUMBER), F.lit(0))
    infinite = F.exists(numbers, lambda n: F.abs(n.cast("double")) == F.lit(float("inf")))
    return F.coalesce(text.rlike(_MAYBE_BIG) & infinite, F.lit(False))
