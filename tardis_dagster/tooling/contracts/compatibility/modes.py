"""Compatibility modes (Confluent Schema Registry's): which reader/writer pairs a new schema must satisfy.

BACKWARD: a consumer on the new schema reads data written with the previous one (reader = new).
FORWARD: a consumer on the previous schema reads data written with the new one (reader = previous).
FULL: both. The `_TRANSITIVE` forms check against every earlier version, not only the latest.
NONE: nothing is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

Mode = Literal[
    "NONE", "BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"
]
MODES: tuple[Mode, ...] = (
    "NONE",
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
)

S = TypeVar("S")
Checker = Callable[[S, S], list[str]]


@dataclass(frozen=True)
class Incompatibility:
    """One failed pair: the earlier version's label (`version 2`, or with its commit), direction and why."""

    version: str
    direction: Literal["backward", "forward"]
    reason: str

    def __str__(self) -> str:
        if self.direction == "backward":
            return f"the new schema cannot read data written with {self.version}: {self.reason}"
        return f"readers on {self.version} cannot read data written with the new schema: {self.reason}"


def check_mode(
    mode: Mode,
    new: S,
    earlier: Sequence[S],
    checker: Checker[S],
    labels: Sequence[str] | None = None,
) -> list[Incompatibility]:
    """Every incompatibility of `new` with `earlier` versions (oldest first, latest last) under `mode`.

    `checker(reader, writer)` returns why data written with `writer` cannot be read with `reader`.
    `labels` name the earlier versions in messages (default `version 1`, `version 2`, ...).
    """
    if mode not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "NONE" or not earlier:
        return []
    names = list(labels) if labels is not None else [f"version {i}" for i in range(1, len(earlier) + 1)]
    indexed = list(zip(names, earlier, strict=True))
    against = indexed if mode.endswith("_TRANSITIVE") else indexed[-1:]
    base = mode.removesuffix("_TRANSITIVE")
    found: list[Incompatibility] = []
    for version, old in against:
        if base in ("BACKWARD", "FULL"):
            found += [Incompatibility(version, "backward", reason) for reason in checker(new, old)]
        if base in ("FORWARD", "FULL"):
            found += [Incompatibility(version, "forward", reason) for reason in checker(old, new)]
    return found
