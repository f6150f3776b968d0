{#- A hub: one row per hash key, fed by any number of staging views, insert-only.
    sources: [{'relation': ref(...), 'hash_key': '<hub>_hk', 'columns': [<stage columns in business key order>]}]
    The business key is stored normalized exactly as it is hashed (trimmed, upper-cased, empty as
    null), so ' b5 ' and 'B5' are one row holding 'B5', whatever text arrived first. A key seen in several sources or several times keeps its first load (earliest load_datetime, then
    record_source, so the choice is deterministic). -#}
{% macro tardis_hub(hash_key, business_key, sources) -%}
with staged as (
    {%- for source in sources %}
    select
        {{ source.hash_key }} as {{ hash_key }},
        {%- for column in source.columns %}
        {{ tardis_business_key_value(column) }} as {{ business_key[loop.index0] }},
        {%- endfor %}
        load_datetime,
        record_source
    from {{ source.relation }}
    where {{ source.hash_key }} is not null
    {{ tardis_lookback_filter() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

first_seen as (
    select *
    from (
        select
            staged.*,
            row_number() over (
                partition by {{ hash_key }} order by load_datetime, record_source{% for column in business_key %}, {{ column }}{% endfor %}
            ) as occurrence
        from staged
    ) as ranked
    where occurrence = 1
)

select
    new.{{ hash_key }},
    {%- for column in business_key %}
    new.{{ column }},
    {%- endfor %}
    new.load_datetime,
    new.record_source
from first_seen as new
{%- if is_incremental() %}
left anti join {{ this }} as loaded
    on loaded.{{ hash_key }} = new.{{ hash_key }}
{%- endif %}
{%- endmacro %}
