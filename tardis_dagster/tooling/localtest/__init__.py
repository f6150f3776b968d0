"""`tardis test <product>`: the local proof before a PR, in namespaces of its own.

workspace.py builds the isolated copy (a namespace prefix, a spec tree and dbt project of the product
alone), sample_data.py finds the product's data or makes synthetic records, run.py materializes its
assets and checks through the code location's own definitions, report.py prints and writes what
happened.
"""
