"""Turns parsed specs into Dagster definitions: one module per layer, assembled in `build.py`."""

from tardis_dagster.factory.build import build_definitions

__all__ = ["build_definitions"]
