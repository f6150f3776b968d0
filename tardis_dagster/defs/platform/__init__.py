"""The platform's own assets: the adoption report and the Iceberg table maintenance."""

import dagster as dg

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.platform.assets import adoption_asset
from tardis_dagster.defs.platform.maintenance import maintenance_asset


def platform_definitions(
    catalog: SpecCatalog, settings: Settings, products: dg.Definitions
) -> dg.Definitions:
    """`platform/adoption`, reporting on `products` (the other layers' definitions), and
    `platform/table_maintenance` over the landed products' tables."""
    return dg.Definitions(
        assets=[
            adoption_asset(catalog, settings, products),
            maintenance_asset(catalog, settings.namespace_prefix),
        ]
    )
