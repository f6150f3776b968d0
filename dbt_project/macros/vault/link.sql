{#- A link: one row per link hash key with the hash keys of its hubs, insert-only.
    sources: [{'relation': ref(...), 'hash_key': '<link>_hk', 'hub_keys': ['<hub>_hk', ...]}] with
    hub_keys in the order of `hub_keys`. -#}
{% macro tardis_link(hash_key, hub_keys, sources) -%}
with staged as (
    {%- for source in sources %}
    select
        {{ source.hash_key }} as {{ hash_key }},
        {%- for column in source.hub_keys %}
        {{ column }} as {{ hub_keys[loop.index0] }},
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
            row_number() over (partition by {{ hash_key }} order by load_datetime, record_source) as occurrence
        from staged
    ) as ranked
    where occurrence = 1
)

select
    new.{{ hash_key }},
    {%- for column in hub_keys %}
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
