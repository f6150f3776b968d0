"""The global data model in dbt: specs -> Data Vault staging, hubs, links, satellites and SQL products.

`model.py` maps the specs onto vault objects, `hashing.py` holds the conventions, `sql_products.py`
turns `sql`/`sql_file` products into dbt models, `escaping.py` makes spec free text inert in
SQL comments, Jinja and YAML, `generate.py` writes the dbt files deterministically
and `assets.py` wires the dbt project into Dagster.
"""
