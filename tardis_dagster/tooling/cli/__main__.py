"""`python -m tardis_dagster.tooling.cli` runs the `tardis` command."""

from tardis_dagster.tooling.cli import main

main()
