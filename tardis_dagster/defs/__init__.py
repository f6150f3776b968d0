"""The Dagster definitions, one package per layer (landing, standardize, quality, dbt, cost, alerts),
each exposing its `*_definitions(catalog, settings)`; `product_specs/defs.yaml` is the `dg` component
instance that assembles them (`tardis_dagster.assembly`)."""
