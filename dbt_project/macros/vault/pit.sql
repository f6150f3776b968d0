{#- A point-in-time table of a hub: for every moment any of its satellites changed (as_of), the
    load_datetime of each satellite's row in effect then (null before its first row). The row in
    effect is the latest in the satellite's order (its version, then load_datetime) among the rows
    loaded by then, so a late older version never becomes the state in effect after a newer one.
    Rebuilt in full on every run (it is derived; joins to satellites use (hash key, load_datetime)).
    satellites: [{'relation': ref('sat_x'), 'column': 'sat_x_load_datetime', 'version': 'revision' or none}] -#}
{% macro tardis_pit(hash_key, satellites) -%}
with changes as (
    {%- for satellite in satellites %}
    select
        {{ hash_key }},
        load_datetime as as_of,
        {%- for other in satellites %}
        {%- if other.column == satellite.column %}
        load_datetime as {{ other.column }},
        row_number() over (
            partition by {{ hash_key }}
            order by {% if satellite.version %}{{ satellite.version }} nulls first, {% endif %}load_datetime
        ) as {{ other.column }}_position{% if not loop.last %},{% endif %}
        {%- else %}
        cast(null as timestamp) as {{ other.column }},
        cast(null as int) as {{ other.column }}_position{% if not loop.last %},{% endif %}
        {%- endif %}
        {%- endfor %}
    from {{ satellite.relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select distinct
    {{ hash_key }},
    as_of,
    {%- for satellite in satellites %}
    max_by({{ satellite.column }}, {{ satellite.column }}_position) over in_effect as {{ satellite.column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from changes
window in_effect as (
    partition by {{ hash_key }} order by as_of range between unbounded preceding and current row
)
{%- endmacro %}
