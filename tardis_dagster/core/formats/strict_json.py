"""Strict JSON (RFC 8259) in Python: the parse the `jsonschema` landing path validates after.

Python's `json.loads` is strict except that it reads the bare words NaN, Infinity and -Infinity and
turns numbers beyond a double (`1e400`) into infinity. Here those are errors, the bytes must be valid
UTF-8 (no byte-order mark), and nesting is capped at `MAX_DEPTH` levels: the same rules as the native
Spark path (`jobs/json_strictness.py`), so both paths land and quarantine the same records.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 512  # objects and arrays nested in each other; deeper records are quarantined


class StrictJSONError(ValueError):
    """The bytes are not one strict JSON value; the message says why."""


def _no_constant(word: str) -> Any:
    raise StrictJSONError(f"{word} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise StrictJSONError(f"the number {text[:40]} overflows a double")
    return number


def loads(data: bytes) -> Any:
    """The value of `data`, parsed strictly; StrictJSONError saying why it is not strict JSON."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError(f"not valid UTF-8: {error}") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise StrictJSONError(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise StrictJSONError(f"not JSON: {error}") from None
    if depth(value) > MAX_DEPTH:
        raise StrictJSONError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def depth(value: Any) -> int:
    """How many objects and arrays are nested in each other in `value` (0 for a scalar); iterative,
    so a deep value cannot exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
