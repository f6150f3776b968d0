"""What every Dagster layer shares: asset attributes, per-asset execution, the Spark job runner,
freshness policies and metadata translation. Imports only the core and Dagster."""
