"""The Dagster code location: every product spec under `product_specs/` becomes assets."""

from __future__ import annotations

import dagster as dg

from tardis_dagster.factory import build_definitions
from tardis_dagster.settings import get_settings
from tardis_dagster.specs import load_catalog


@dg.definitions
def defs() -> dg.Definitions:
    """Load the specs and build the definitions (deferred until Dagster asks for them)."""
    settings = get_settings()
    return build_definitions(load_catalog([settings.specs_dir]), settings)
