{#- A model's `schema` config is the layer namespace itself (`vault`, `mart`), not `<target>_<schema>`,
    so dbt tables have the same names as the Dagster asset keys. `--vars '{tardis_schema_prefix: x_}'`
    prefixes every schema (tests use it to build in their own namespaces). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ var('tardis_schema_prefix', '') }}{{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
