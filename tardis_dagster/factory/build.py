"""Assemble the code location's Definitions from a spec catalog, layer by layer."""

from __future__ import annotations

import dagster as dg

from tardis_dagster.factory import schedules
from tardis_dagster.landing import files as files_landing
from tardis_dagster.resources import build_resources
from tardis_dagster.settings import Settings, get_settings
from tardis_dagster.specs import SpecCatalog


class SpecProblemsError(dg.DagsterInvalidDefinitionError):
    """The specs do not validate; the message lists every problem, one `path:line:col: ...` per line."""


def build_definitions(catalog: SpecCatalog, settings: Settings | None = None) -> dg.Definitions:
    """All assets, schedules and resources for the products in `catalog`.

    Invalid specs stop the code location from loading with the validator's own messages: publishing
    a product whose contract does not parse would be worse than not loading.
    """
    if catalog.problems:
        listing = "\n".join(str(p) for p in catalog.problems)
        raise SpecProblemsError(f"{len(catalog.problems)} problem(s) in the product specs:\n{listing}")
    settings = settings or get_settings()
    assets = [a for a in (files_landing.files_landing_assets(catalog.products),) if a is not None]
    raw_keys = {key.path[-1]: key for a in assets for key in a.keys}
    return dg.Definitions(
        assets=assets,
        schedules=schedules.build(catalog.products, raw_keys),
        resources=build_resources(settings),
    )
