"""Fixtures for the spec tests: spec trees written into tmp folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import MODEL


@pytest.fixture
def spec_tree(tmp_path: Path) -> Callable[..., Path]:
    """Write a spec tree: `_model.yaml`, the order JSON Schema and the given files (name -> text)."""

    def write(files: dict[str, str], *, model: str | None = MODEL) -> Path:
        root = tmp_path / "product_specs"
        (root / "schemas").mkdir(parents=True, exist_ok=True)
        (root / "schemas" / "order.json").write_text(
            '{"type": "object", "properties": {"order_id": {"type": "string"}}}\n', encoding="utf-8"
        )
        if model is not None:
            (root / "_model.yaml").write_text(model, encoding="utf-8")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return write
