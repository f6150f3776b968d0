{#- `{{ product('x') }}`: the published table of data product x. A SQL product is a dbt model
    (`ref`); a landed product is its standardized table (`source('std', x)`). The list of SQL
    products is generated (macros/generated/tardis_sql_products.sql). -#}
{% macro product(name) -%}
    {%- if name in tardis_sql_products() -%}
        {{ return(ref(name)) }}
    {%- else -%}
        {{ return(source('std', name)) }}
    {%- endif -%}
{%- endmacro %}
