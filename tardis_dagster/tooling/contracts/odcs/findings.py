"""What an import finds in a contract (errors, missing items, notes, each with its place), and the helpers
that read the contract's plain, loosely typed data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.tooling.contracts.odcs.mapping import LEGACY_NAMES

Loc = tuple[str | int, ...]


class ContractError(ValueError):
    """One thing in a contract that cannot become a spec: where (`loc` in the document), what, how to fix."""

    def __init__(self, loc: Loc, message: str, fix: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Missing:
    """Something a spec needs that neither the contract nor the answers say; `answer` is its answers key."""

    loc: Loc
    what: str
    flag: str | None
    answer: str
    example: Any


class ContractImportError(Exception):
    """Everything that keeps a contract from becoming specs, found in one pass."""

    def __init__(self, errors: list[ContractError], missing: list[Missing]) -> None:
        super().__init__("; ".join([e.message for e in errors] + [m.what for m in missing]))
        self.errors = errors
        self.missing = missing


@dataclass(frozen=True)
class Note:
    """Something the contract says that the spec does not keep, or a value the import derived."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{field_name(self.loc)}: {self.message}"


def node_get(node: Any, key: str) -> Any:
    """`node[key]` when `node` is a mapping, else None (contracts are plain, loosely typed data)."""
    return node.get(key) if isinstance(node, dict) else None


def node_list(node: Any) -> list[Any]:
    """`node` when it is a list, else an empty list."""
    return node if isinstance(node, list) else []


def is_empty(value: Any) -> bool:
    """True for values that say nothing: None, false, empty text or collections, the -1 position default."""
    return value is None or value is False or value == "" or value == [] or value == {} or value == -1


def custom_value(props: Any, name: str) -> tuple[bool, Any]:
    """(found, value) of custom property `name`, or of the name exports before v3.1.0 used."""
    names = (name, LEGACY_NAMES.get(name, name))
    for prop in node_list(props):
        if node_get(prop, "property") in names and node_get(prop, "vendor") in (None, "tardis"):
            return True, prop.get("value")
    return False, None


def finite(value: Any) -> int | float | None:
    """`value` when it is a finite number (not a bool), else None: inf and NaN have no SQL literal."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def is_literal(value: Any) -> bool:
    """True for a value a rule can compare with: text or a finite number."""
    return isinstance(value, str) or finite(value) is not None
