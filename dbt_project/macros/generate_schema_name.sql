{#- A model's `schema` config is the layer namespace itself (`vault`, `mart`), not `<target>_<schema>`,
    so dbt tables have the same names as the Dagster asset keys. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
