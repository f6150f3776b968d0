"""Custom Dagster components of Tardis (the `dg` form of "YAML in, assets out")."""

from tardis_dagster.components.product_specs import ProductSpecsComponent

__all__ = ["ProductSpecsComponent"]
