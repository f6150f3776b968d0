"""One spec file while it is being checked: where it is, what it parsed to, and what is wrong with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tardis_dagster.core.specs.model import DataProduct, GlobalModel
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.yaml_source import YamlDocument


@dataclass
class SpecFile:
    """A YAML file under check; ``path`` is as the user gave it, so problems print the same way."""

    path: Path
    doc: YamlDocument | None = None
    product: DataProduct | None = None
    model: GlobalModel | None = None
    problems: list[Problem] = field(default_factory=list)
    # Valid on its own, but it depends on something that is not: why, how to fix it, and the
    # spec whose problem it is (None for the global model, whose problems are always shown).
    excluded_because: tuple[str, str, SpecFile | None] | None = None
    # False for specs loaded only as context for the files the user asked about.
    focus: bool = True
    # The spec tree this file belongs to (the folder holding `_model.yaml`, else the folder given):
    # the paths a spec references must stay inside it (paths.py).
    root: Path | None = None

    @property
    def data(self) -> Any:
        """The plain parsed data (None when the file did not parse)."""
        return self.doc.data if self.doc is not None else None

    @property
    def raw_name(self) -> str | None:
        """The `name:` as written, even when the file is invalid; used so one error does not cascade."""
        data = self.data
        name = data.get("name") if isinstance(data, dict) else None
        return name if isinstance(name, str) else None

    @property
    def valid(self) -> bool:
        """True when the file parsed and no problem was found in it or in what it depends on."""
        return (
            (self.product is not None or self.model is not None)
            and not self.problems
            and self.excluded_because is None
        )

    def report(self, loc: Sequence[str | int], message: str, fix: str, *, at_key: bool = False) -> None:
        """Record a problem at the YAML node for ``loc`` (or its nearest existing parent)."""
        line, col = self.doc.locate(loc, at_key=at_key) if self.doc is not None else (1, 1)
        self.problems.append(Problem(self.path, line, col, field_name(loc), message, fix))

    def report_in_text(self, loc: Sequence[str | int], offset: int, message: str, fix: str) -> None:
        """Record a problem at character ``offset`` of the string at ``loc`` (e.g. inside SQL)."""
        line, col = self.doc.locate_in_text(loc, offset) if self.doc is not None else (1, 1)
        self.problems.append(Problem(self.path, line, col, field_name(loc), message, fix))

    def report_at(
        self, path: Path, line: int, col: int, loc: Sequence[str | int], message: str, fix: str
    ) -> None:
        """Record a problem in another file that belongs to this spec (e.g. its sql_file)."""
        self.problems.append(Problem(path, line, col, field_name(loc), message, fix))


def field_name(loc: Sequence[str | int]) -> str:
    """Dotted field path of a location: ``("schema", 2, "type")`` -> ``schema[2].type``."""
    text = ""
    for segment in loc:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else str(segment)
    return text or "file"
