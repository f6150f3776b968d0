"""What the Dagster instance knows about each product: its first publication and its failing checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from tardis_dagster.core import naming


@dataclass(frozen=True)
class Publication:
    """First materialization of each product's published asset, and its checks failing now."""

    first_published: dict[str, datetime] = field(default_factory=dict)
    failing_checks: dict[str, list[str]] = field(default_factory=dict)  # product -> "std/x:check"


def product_of_key(key: dg.AssetKey, products: Iterable[str]) -> str | None:
    """The product an asset of a product layer belongs to (`std/x__rejects` -> x), else None."""
    if len(key.path) != 2 or key.path[0] not in naming.PRODUCT_LAYERS:
        return None
    name = naming.product_of(key.path[1])
    return name if name in products else None


def publication(
    instance: dg.DagsterInstance,
    published: Mapping[str, dg.AssetKey],
    check_keys: Iterable[dg.AssetCheckKey],
) -> Publication:
    """`published` maps each product to its published asset (std, or mart for SQL products); a check
    counts as failing when its latest execution failed."""
    first: dict[str, datetime] = {}
    for product, key in published.items():
        records = instance.fetch_materializations(key, limit=1, ascending=True).records
        if records:
            first[product] = datetime.fromtimestamp(records[0].timestamp, UTC)
    by_product = {k: p for k in check_keys if (p := product_of_key(k.asset_key, published)) is not None}
    failing: dict[str, list[str]] = {}
    if by_product:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(by_product))
        for key, record in sorted(latest.items(), key=lambda item: item[0].to_user_string()):
            if record.status == AssetCheckExecutionRecordStatus.FAILED:
                failing.setdefault(by_product[key], []).append(f"{key.asset_key.to_user_string()}:{key.name}")
    return Publication(first_published=first, failing_checks=failing)
