"""The dbt project in Dagster: staging, vault, SQL products and cost models as one multi-asset."""
