"""The hashing conventions, in Python terms (the SQL lives in dbt_project/macros/vault/hashing.sql).

Kept here so the generator and the tests agree with the macros on names, order and tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

NULL_TOKEN = "^^"  # noqa: S105 - a placeholder for null values, not a secret
DELIMITER = "||"
ALGORITHMS = ("md5", "sha256")
DEFAULT_ALGORITHM = "md5"


def hash_key_column(name: str) -> str:
    """The hash key column of a hub or link: `<name>_hk`."""
    return f"{name}_hk"


def hashdiff_column(satellite: str) -> str:
    """The staging column holding a satellite's hashdiff: `<satellite>_hashdiff`."""
    return f"{satellite}_hashdiff"


def hashdiff_order(columns: Sequence[str]) -> list[str]:
    """The fixed hashdiff column order: sorted by name, so reordering a spec's list changes nothing."""
    return sorted(columns)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("^", "\\^")


def _digest(text: str, algorithm: str) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(text.encode()).hexdigest()
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def business_key_hash(values: Sequence[str | None], algorithm: str = DEFAULT_ALGORITHM) -> str | None:
    """What `tardis_hash_key` computes for string values (None when every value is null or empty)."""
    # Spark's trim() removes spaces only (not tabs or newlines): strip(" ") is its twin.
    normalized = [None if v is None or not v.strip(" ") else v.strip(" ").upper() for v in values]
    if all(v is None for v in normalized):
        return None
    return _digest(DELIMITER.join(NULL_TOKEN if v is None else _escape(v) for v in normalized), algorithm)


def hashdiff(values: Sequence[str | None], algorithm: str = DEFAULT_ALGORITHM) -> str:
    """What `tardis_hashdiff` computes for string values given in hashdiff order."""
    parts = [NULL_TOKEN if v is None else _escape(v.strip(" ")) for v in values]
    return _digest(DELIMITER.join(parts), algorithm)
