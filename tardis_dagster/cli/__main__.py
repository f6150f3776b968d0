"""`python -m tardis_dagster.cli` runs the `tardis` command."""

from tardis_dagster.cli import main

main()
