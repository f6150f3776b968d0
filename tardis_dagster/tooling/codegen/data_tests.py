"""The dbt data tests the generator attaches to models, each spelled in one place."""

from __future__ import annotations

from typing import Any


def unique_combination(columns: list[str]) -> dict[str, Any]:
    """The platform's generic test (`tardis_unique_combination`): no two rows share these columns."""
    return {"tardis_unique_combination": {"arguments": {"columns": columns}}}
