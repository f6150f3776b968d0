"""Assemble the code location's Definitions from a spec catalog: each layer builds its own, merged here.

Every layer module exposes one `*_definitions(catalog, settings)`; this is the only module that
imports them all. Quality checks come next to last: they target the published assets the layers
defined; the adoption report last, since it reports on all of it.
"""

from __future__ import annotations

import dagster as dg

from tardis_dagster.core.settings import Settings, get_settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.alerts import alert_definitions
from tardis_dagster.defs.automation import automation_definitions
from tardis_dagster.defs.cost.assets import cost_definitions
from tardis_dagster.defs.dbt.assets import dbt_definitions
from tardis_dagster.defs.landing import landing_definitions
from tardis_dagster.defs.platform import platform_definitions
from tardis_dagster.defs.quality.checks import quality_definitions
from tardis_dagster.defs.resources import build_resources
from tardis_dagster.defs.schedules import schedule_definitions
from tardis_dagster.defs.standardize.assets import standardize_definitions


class SpecProblemsError(dg.DagsterInvalidDefinitionError):
    """The specs do not validate; the message lists every problem, one `path:line:col: ...` per line."""


def build_definitions(catalog: SpecCatalog, settings: Settings | None = None) -> dg.Definitions:
    """All assets, checks, schedules, sensors and resources for the products in `catalog`.

    Invalid specs stop the code location from loading with the validator's own messages: publishing
    a product whose contract does not parse would be worse than not loading.
    """
    if catalog.problems:
        listing = "\n".join(str(p) for p in catalog.problems)
        raise SpecProblemsError(f"{len(catalog.problems)} problem(s) in the product specs:\n{listing}")
    settings = settings or get_settings()
    layers = dg.Definitions.merge(
        landing_definitions(catalog, settings),
        standardize_definitions(catalog, settings),
        dbt_definitions(settings, catalog),  # staging, vault, SQL products and cost models: one graph
        cost_definitions(catalog, settings),  # the report, downstream of the dbt cost models
        alert_definitions(catalog, settings),
        schedule_definitions(catalog),
        automation_definitions(),  # running by default: raw -> std -> vault -> marts with no clicks
        dg.Definitions(resources=build_resources(settings)),
    )
    published = {key for assets in layers.assets or [] for key in assets.keys}  # type: ignore[union-attr]
    products = dg.Definitions.merge(
        layers, quality_definitions(catalog, published, settings.namespace_prefix)
    )
    # The adoption report counts everything above (resolved when it runs, not at load time).
    return dg.Definitions.merge(products, platform_definitions(catalog, settings, products))
