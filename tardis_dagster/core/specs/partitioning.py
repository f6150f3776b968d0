"""`load.partition_by` entries: a column or an Iceberg transform (`day(placed_at)`, `bucket(16, id)`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tardis_dagster.core.specs.identifiers import IDENTIFIER_HINT, is_identifier
from tardis_dagster.core.specs.problems import did_you_mean

Transform = Literal["identity", "year", "month", "day", "hour", "bucket", "truncate"]
TIME_TRANSFORMS = ("year", "month", "day", "hour")
WIDTH_TRANSFORMS = ("bucket", "truncate")
PARTITION_HINT = (
    "write a column, day(col), month(col), year(col), hour(col), bucket(n, col) or truncate(n, col)"
)
MAX_WIDTH = 2**31 - 1

# Spark's names for Iceberg's transforms (the plural forms work on every Spark/Iceberg version).
_SPARK_FUNCTION = {"year": "years", "month": "months", "day": "days", "hour": "hours"}
_ENTRY = re.compile(r"^\s*(?P<head>[^\s(]+)\s*(?:\((?P<args>[^()]*)\))?\s*$")


class PartitionSyntaxError(ValueError):
    """A `partition_by` entry that does not parse; ``fix`` says what to write instead."""

    def __init__(self, message: str, fix: str = PARTITION_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class PartitionField:
    """One partition field: a transform applied to a column (``width`` for bucket/truncate)."""

    transform: Transform
    column: str
    width: int | None = None

    def __str__(self) -> str:
        if self.transform == "identity":
            return self.column
        if self.width is not None:
            return f"{self.transform}({self.width}, {self.column})"
        return f"{self.transform}({self.column})"

    @property
    def spark_expr(self) -> str:
        """The entry as a Spark `PARTITIONED BY` expression, e.g. ``days(placed_at)``."""
        if self.transform == "identity":
            return self.column
        if self.width is not None:
            return f"{self.transform}({self.width}, {self.column})"
        return f"{_SPARK_FUNCTION[self.transform]}({self.column})"


def parse_partition(text: str) -> PartitionField:
    """Parse one ``partition_by`` entry; raises PartitionSyntaxError with a message and a fix."""
    match = _ENTRY.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise PartitionSyntaxError(f"'{text}' is not a partition field")
    head, args = match.group("head"), match.group("args")
    if args is None:
        if not is_identifier(head):
            raise PartitionSyntaxError(f"'{head}' is not a valid column name", IDENTIFIER_HINT)
        return PartitionField("identity", head)
    transform = head.lower()
    parts = [part.strip() for part in args.split(",")]
    if transform in TIME_TRANSFORMS:
        if len(parts) != 1:
            raise PartitionSyntaxError(f"{transform}() takes one column", f"write {transform}(column)")
        return PartitionField(transform, _column(parts[0]))  # type: ignore[arg-type]
    if transform in WIDTH_TRANSFORMS:
        if len(parts) != 2:
            raise PartitionSyntaxError(
                f"{transform}() takes a number and a column", f"write {transform}(16, column)"
            )
        if not parts[0].isdigit() or not 1 <= int(parts[0]) <= MAX_WIDTH:
            raise PartitionSyntaxError(
                f"{transform}() needs a positive whole number first, got '{parts[0]}'",
                f"write {transform}(16, {parts[1]})",
            )
        return PartitionField(transform, _column(parts[1]), int(parts[0]))  # type: ignore[arg-type]
    close = did_you_mean(transform, (*TIME_TRANSFORMS, *WIDTH_TRANSFORMS))
    raise PartitionSyntaxError(
        f"unknown partition transform '{head}'", f"did you mean '{close}'?" if close else PARTITION_HINT
    )


def _column(text: str) -> str:
    if not is_identifier(text):
        raise PartitionSyntaxError(f"'{text}' is not a valid column name", IDENTIFIER_HINT)
    return text
