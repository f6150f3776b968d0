{#- The cost input the reports read (var cost_primary_input); by default the first of var cost_inputs,
    so a company that delivers only FOCUS gets its reports without setting a second variable. -#}
{% macro cost_primary_input() -%}
{{ var('cost_primary_input', var('cost_inputs', ['cur', 'focus'])[0]) }}
{%- endmacro %}
