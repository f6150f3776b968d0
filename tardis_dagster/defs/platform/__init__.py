"""The platform's own view of itself: the adoption report."""

import dagster as dg

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.platform.assets import adoption_asset


def platform_definitions(
    catalog: SpecCatalog, settings: Settings, products: dg.Definitions
) -> dg.Definitions:
    """The `platform/adoption` asset, reporting on `products` (the other layers' definitions)."""
    return dg.Definitions(assets=[adoption_asset(catalog, settings, products)])
