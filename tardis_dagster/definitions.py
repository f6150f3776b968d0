"""The Dagster code location: every product spec under `product_specs/` becomes assets.

Loaded through the `dg` defs folder (`tardis_dagster/defs/`), so `dg` tooling and
`dagster dev -w workspace.yaml` see the same definitions.
"""

from __future__ import annotations

import dagster as dg

from tardis_dagster.core.settings import get_settings


@dg.definitions
def defs() -> dg.Definitions:
    """Build the definitions from the defs folder (deferred until Dagster asks for them).

    The project is the configured one (TARDIS_PROJECT_DIR or the current git root), not this file's
    folder: installed in site-packages, the package has no pyproject.toml or specs beside it.
    """
    return dg.load_from_defs_folder(path_within_project=get_settings().project_root)
