"""Spec builders shared by the tests: one place that writes a product spec, so tests state only what
they vary (source, load, columns, rules) instead of retyping the YAML around it."""

from __future__ import annotations

import uuid
from pathlib import Path

from tardis_dagster.core.specs import DataProduct, load_catalog


def product_yaml(
    name: str,
    *,
    description: str,
    owner: str,
    source: str,
    schema: str,
    load: str = "{type: append}",
    quality: str = "",
) -> str:
    """A spec's YAML text; `owner` is `tribe/squad/#contact`, `source`, `load` and each line of `schema`
    are YAML as the spec writes them (`source` e.g. `files: {uri: ./drops/, format: csv}`)."""
    tribe, squad, contact = owner.split("/")
    columns = "".join(f"  - {line.strip().removeprefix('- ')}\n" for line in schema.strip().splitlines())
    text = (
        "apiVersion: tardis/v1\nkind: DataProduct\n"
        f"name: {name}\nversion: 1.0.0\ndescription: {description}\n"
        f'owner: {{tribe: {tribe}, squad: {squad}, contact: "{contact}"}}\n'
        f"source:\n  {source}\nload: {load}\nschema:\n{columns}"
    )
    return text + (f"quality:\n{quality}" if quality else "")


def write_product(folder: Path, text: str, name: str, *, own_folder: bool = False) -> DataProduct:
    """Write the spec under `folder` (in a fresh sub-folder with `own_folder`), load it, and return it
    (failing with the validator's messages if it does not validate)."""
    if own_folder:
        folder = folder / uuid.uuid4().hex[:6]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    catalog = load_catalog([folder])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    return catalog.by_name(name)
