"""Dagster code references from a product's assets to the lines of its spec, so the UI's "Source code"
opens `product_specs/<tribe>/<product>.yaml` at the part that made the asset (its source, schema,
quality rule or vault mapping), and a hub or link opens its entry in `_model.yaml`.

References hold absolute local paths (what "open in editor" needs). A production deployment that
serves its repository can turn them into links with `dg.link_code_references_to_git`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import dagster as dg

from tardis_dagster.core.specs import DataProduct, GlobalModel, Hub, Link
from tardis_dagster.lib.spec_locations import Loc, SpecLocations, read_locations

CODE_REFERENCES = "dagster/code_references"  # the metadata key the UI reads


def _code_reference(path: str, line: int, label: str) -> dg.LocalFileCodeReference:
    # `model_construct`: the values are typed already, and Dagster's beta wrapper (a warning and a
    # validation per object) costs more than the reference itself at thousands of assets.
    return dg.LocalFileCodeReference.model_construct(file_path=path, line_number=line, label=label)


def _references(references: list[dg.LocalFileCodeReference]) -> dg.CodeReferencesMetadataValue:
    return dg.CodeReferencesMetadataValue.model_construct(code_references=references)


def product_references(product: DataProduct, *parts: Loc) -> dg.CodeReferencesMetadataValue:
    """References to `parts` of the product's spec (`("source",)`, `("quality", 0)`), in order;
    without parts its `name:` line. A reference to the source adds the files the source names."""
    path = product.spec_path
    references = [_reference(path, loc, f"{path.name}: {_describe(loc)}") for loc in (parts or (("name",),))]
    if not parts or parts[0] == ("source",):
        references += _source_files(product)
    return _references(references)


def model_references(
    model: GlobalModel | None, kind: str, name: str
) -> dg.CodeReferencesMetadataValue | None:
    """A reference to hub or link `name` in `_model.yaml` (`kind` is "hubs" or "links"); None when the
    model was not read from a file or does not hold it."""
    if model is None or model.model_path is None:
        return None
    entries: Sequence[Hub | Link] = model.hubs if kind == "hubs" else model.links
    index = next((i for i, entry in enumerate(entries) if entry.name == name), None)
    if index is None:
        return None
    path = model.model_path
    reference = _reference(path, (kind, index), f"{path.name}: {kind[:-1]} {name}")
    return _references([reference])


def satellite_references(product: DataProduct, satellite: str) -> dg.CodeReferencesMetadataValue:
    """A reference to the product's `vault.satellites` entry named `satellite`."""
    index = next((i for i, s in enumerate(product.vault.satellites) if s.satellite == satellite), None)
    return product_references(product, ("vault", "satellites", index) if index is not None else ("vault",))


def rule_location(product: DataProduct, check_name: str) -> Loc:
    """The location of the quality rule called `check_name` (the `quality:` section if none is)."""
    index = next((i for i, rule in enumerate(product.quality) if rule.check_name == check_name), None)
    return ("quality", index) if index is not None else ("quality",)


def _reference(path: Path, loc: Loc, label: str) -> dg.LocalFileCodeReference:
    return _code_reference(str(path), locations(path).line(loc), label)


def _source_files(product: DataProduct) -> list[dg.LocalFileCodeReference]:
    """The files a spec's source names beside it: the topic's schema file, the SQL file."""
    source = product.source
    named = [source.kafka.schema_ if source.kafka is not None else None, source.sql_file]
    return [_code_reference(str(product.resolve_path(rel)), 1, str(rel)) for rel in named if rel]


def locations(path: Path) -> SpecLocations:
    """The scanned locations of the file at `path`, scanned again only when the file changed: every
    layer asks for the same specs while the code location loads."""
    try:
        stat = path.stat()
    except OSError:
        return SpecLocations()
    return _scanned(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16_384)
def _scanned(path: Path, _mtime_ns: int, _size: int) -> SpecLocations:
    return read_locations(path)


def _describe(loc: Loc) -> str:
    """`quality[2]`, `vault.satellites[0]`, `source`: the part a reference points at."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
