"""Turns parsed specs into Dagster definitions: one module per concern, assembled in `build.py`.

Import `tardis_dagster.factory.build.build_definitions`; this package imports nothing itself, so
layer modules can use `factory.attributes` without importing the assembly (and themselves).
"""
