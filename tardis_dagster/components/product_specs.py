"""One component that turns the whole `product_specs/` folder into definitions.

A single component for the folder, not one per spec file: per-file components cost ~4 s per
1,000 specs to load, the plain factory behind this one about a quarter of that.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.settings import Settings, get_settings
from tardis_dagster.core.specs import load_catalog


class ProductSpecsComponent(dg.Component, dg.Resolvable, dg.Model):
    """Every data product spec under `specs_dir` (and its global model) as assets, checks and schedules."""

    specs_dir: str | None = None  # default: TARDIS_SPECS_DIR or <project>/product_specs

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """Load and validate the specs, then build the definitions of every layer."""
        settings = get_settings()  # read once, here at the top, and passed down
        folder = Path(self.specs_dir) if self.specs_dir else settings.specs_dir
        if not folder.is_absolute():
            folder = settings.project_root / folder
        return build_code_location(folder, settings)

    @classmethod
    def get_code_references_for_yaml(
        cls, yaml_path: Path, source_position: Any, context: dg.ComponentLoadContext
    ) -> Sequence[dg.LocalFileCodeReference]:
        """None: each asset's "Source code" opens its own spec file and line, not this component's
        defs.yaml (which Dagster would add to every asset)."""
        return []


def build_code_location(folder: Path, settings: Settings) -> dg.Definitions:
    """The code location of the specs in `folder`: what the component builds (and the load benchmark
    measures)."""
    with collector_paused():
        return build_definitions(load_catalog([folder]), settings)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The one process-wide switch, owned by the top of the code location and held only while it loads.

    Loading thousands of specs creates millions of long-lived objects (with Dagster's own); each full
    collection rescans them all for no garbage: measured 1.7 s of 5.8 s at 5,000 specs.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
