"""Tardis: a self-service data platform shipped as one Dagster code location."""
