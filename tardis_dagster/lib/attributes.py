"""What every Tardis asset carries, derived from its spec: key, owners, tags, group, description."""

from __future__ import annotations

from typing import Any

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.specs import DataProduct


def table_key(layer: str, table: str) -> dg.AssetKey:
    """The asset key of a table: `[layer, table]`, the same as the table name `layer.table`."""
    return dg.AssetKey(naming.asset_path(layer, table))


def published_key(product: DataProduct) -> dg.AssetKey:
    """The asset key of the product's published table (the target of its quality checks)."""
    return table_key(naming.published_layer(product.source.kind), product.name)


def asset_attributes(product: DataProduct, layer: str, table: str | None = None) -> dict[str, Any]:
    """Keyword arguments shared by every asset of `product` in `layer`.

    Owners are the squad (`team:<squad>`) so the UI's owner filter answers "what does my squad own";
    the group is the tribe so the global lineage graph reads per tribe.
    """
    table = table or product.name
    return {
        "key": table_key(layer, table),
        "group_name": product.owner.tribe,
        "owners": [f"team:{product.owner.squad}"],
        "tags": {
            "tribe": product.owner.tribe,
            "squad": product.owner.squad,
            "layer": layer,
            "source": product.source.kind,
        },
        "description": product.description,
        "metadata": {
            "dagster/table_name": naming.qualified(layer, table),
            "spec": dg.MetadataValue.path(str(product.spec_path)),
            "contract_version": product.version,
            "contact": product.owner.contact,
            "stakeholders": ", ".join(product.stakeholders) or "-",
        },
    }
