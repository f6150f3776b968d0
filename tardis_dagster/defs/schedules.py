"""Schedules from the specs' cron `schedule`: one job and schedule per distinct cron, not one per asset.

One job per asset is what makes large Dagster deployments slow to load; grouping by cron keeps the
number of jobs small however many products share a schedule.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.lib.attributes import table_key

_NOT_CRON = {None, "on_upstream", "streaming"}


def build(
    products: Iterable[DataProduct],
    keys_by_product: dict[str, dg.AssetKey],
    running: frozenset[dg.AssetKey] = frozenset(),
) -> list[dg.ScheduleDefinition]:
    """A schedule per distinct cron over the (already built) assets of the products that use it;
    running once loaded when it holds one of the `running` assets, else started by hand."""
    by_cron: dict[str, list[dg.AssetKey]] = defaultdict(list)
    for product in products:
        key = keys_by_product.get(product.name)
        if key is not None and product.schedule not in _NOT_CRON:
            by_cron[product.schedule].append(key)  # type: ignore[index]
    schedules = []
    for cron, keys in sorted(by_cron.items()):
        slug = hashlib.sha1(cron.encode(), usedforsecurity=False).hexdigest()[:8]
        job = dg.define_asset_job(
            name=f"cron_{slug}",
            selection=dg.AssetSelection.assets(*sorted(keys, key=lambda k: k.to_user_string())),
            description=f"Products scheduled at `{cron}`.",
            tags={"tardis/schedule": cron.replace(" ", "_").replace("*", "x")},
        )
        schedules.append(
            dg.ScheduleDefinition(
                name=f"cron_{slug}_schedule",
                job=job,
                cron_schedule=cron,
                execution_timezone="UTC",
                default_status=dg.DefaultScheduleStatus.RUNNING
                if running.intersection(keys)
                else dg.DefaultScheduleStatus.STOPPED,
            )
        )
    return schedules


def schedule_definitions(catalog: SpecCatalog) -> dg.Definitions:
    """The cron schedules of landed products: each runs the product's raw landing asset.

    A files product lands only by its schedule, so its schedule runs once loaded (data flows after a
    merge with no clicks). A Kafka product's new records are landed by the `kafka_new_records`
    sensor within a minute; its cron schedule is there to be started for fixed-time landings.
    """
    landed = {
        p.name: table_key(naming.RAW, p.name) for p in catalog.products if p.source.kind in ("kafka", "files")
    }
    files = frozenset(landed[p.name] for p in catalog.products if p.source.kind == "files")
    return dg.Definitions(schedules=build(catalog.products, landed, files))
