{#- Iceberg's Glue catalog has no views (Iceberg 1.11 `GlueCatalog` is not a view catalog), so on a
    Spark server whose default catalog is Glue (`tardis_dagster/tooling/production_catalog.py`) a model
    materialized as a view (the generated `stg` models) is built as an Iceberg table instead: set
    TARDIS_DBT_VIEWS_AS_TABLES=true for such a target. Anywhere else views stay views. -#}
{% materialization view, adapter='spark' -%}
    {%- if env_var('TARDIS_DBT_VIEWS_AS_TABLES', 'false') | lower == 'true' -%}
        {{ return(dbt.materialization_table_spark()) }}
    {%- else -%}
        {{ return(create_or_replace_view()) }}
    {%- endif -%}
{%- endmaterialization %}
