"""What every Tardis asset carries, derived from its spec: key, owners, tags, group, description."""

from __future__ import annotations

import re
from typing import Any

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.lib.code_references import CODE_REFERENCES, Loc, product_references

# The email form Dagster accepts as an owner (dagster/_core/utils.py `is_valid_email`): a spec email
# it would refuse stays a contact only, rather than stopping the code location from loading.
_DAGSTER_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,7}\b")


def table_key(layer: str, table: str) -> dg.AssetKey:
    """The asset key of a table: `[layer, table]`, the same as the table name `layer.table`."""
    return dg.AssetKey(naming.asset_path(layer, table))


def published_key(product: DataProduct) -> dg.AssetKey:
    """The asset key of the product's published table (the target of its quality checks)."""
    return table_key(naming.published_layer(product.source.kind), product.name)


def contact_owner(contact: str | None) -> str | None:
    """A spec contact as a Dagster owner: an email as itself, a Slack channel as `team:#channel`."""
    if not contact:
        return None
    if contact.startswith("#"):
        return f"team:{contact}"
    return contact if _DAGSTER_EMAIL.fullmatch(contact) else None


def owners(squad: str, contact: str | None) -> list[str]:
    """The squad (`team:<squad>`, so the UI's owner filter answers "what does my squad own"), then the
    spec's contact, so the asset page shows whom to talk to."""
    found = [f"team:{squad}"]
    extra = contact_owner(contact)
    if extra is not None and extra not in found:
        found.append(extra)
    return found


def asset_attributes(
    product: DataProduct, layer: str, table: str | None = None, spec_part: Loc = ("name",)
) -> dict[str, Any]:
    """Keyword arguments shared by every asset of `product` in `layer`.

    Owners are the squad and the contact; the group is the tribe so the global lineage graph reads per
    tribe; the code reference opens the spec at `spec_part`, the part that makes this asset.
    """
    table = table or product.name
    return {
        "key": table_key(layer, table),
        "group_name": product.owner.tribe,
        "owners": owners(product.owner.squad, product.owner.contact),
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
            CODE_REFERENCES: product_references(product, spec_part),
        },
    }
