"""The Dagster code location: every product spec under `product_specs/` becomes assets.

Loaded through the `dg` defs folder (`tardis_dagster/defs/`), so `dg` tooling and
`dagster dev -w workspace.yaml` see the same definitions.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Build the definitions from the defs folder (deferred until Dagster asks for them)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
