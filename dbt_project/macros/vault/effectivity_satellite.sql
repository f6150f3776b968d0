{#- An effectivity satellite of a link, insert-only: when each link became active or ended.
    With a driving key (the hub whose key the feeding product is keyed by, e.g. the order in
    customer_order), a driving key has one active link at a time: a staged link that differs from
    the one in effect before it inserts (new link, active) and (previous link, ended) at its
    load_datetime, and a late change also ends itself when the next recorded change begins.
    Without a driving key, a link is recorded once, active from its first load.
    sources: [{'relation': ref(...), 'hash_key': '<link>_hk', 'driving_key': '<hub>_hk'}] -#}
{% macro tardis_effectivity_satellite(hash_key, driving_key, sources) -%}
with staged as (
    {%- for source in sources %}
    select distinct
        {{ source.hash_key }} as {{ hash_key }},
        {%- if driving_key %}
        {{ source.driving_key }} as {{ driving_key }},
        {%- endif %}
        load_datetime,
        record_order,
        record_source
    from {{ source.relation }}
    where {{ source.hash_key }} is not null
    {{ tardis_lookback_filter() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
{%- if not driving_key %}

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
    new.load_datetime,
    true as is_active,
    new.record_source
from first_seen as new
{%- if is_incremental() %}
left anti join {{ this }} as loaded
    on loaded.{{ hash_key }} = new.{{ hash_key }}
{%- endif %}
{%- else %}

-- One link per driving key and load_datetime: the last one by record_order.
events as (
    select {{ hash_key }}, {{ driving_key }}, load_datetime, record_source
    from (
        select
            staged.*,
            row_number() over (
                partition by {{ driving_key }}, load_datetime
                order by record_order desc, {{ hash_key }} desc, record_source desc
            ) as position
        from staged
    ) as ranked
    where position = 1
),
{%- if is_incremental() %}

new_events as (
    select events.*
    from events
    left anti join (select * from {{ this }} where is_active) as loaded
        on loaded.{{ driving_key }} = events.{{ driving_key }}
        and loaded.load_datetime = events.load_datetime
),

timeline as (
    select new_events.*, true as is_new
    from new_events
    union all
    select loaded.{{ hash_key }}, loaded.{{ driving_key }}, loaded.load_datetime, loaded.record_source, false as is_new
    from {{ this }} as loaded
    left semi join new_events
        on new_events.{{ driving_key }} = loaded.{{ driving_key }}
    where loaded.is_active
),
{%- else %}

timeline as (
    select events.*, true as is_new
    from events
),
{%- endif %}

compared as (
    select
        timeline.*,
        lag({{ hash_key }}) over by_driving_key as previous_link,
        lead({{ hash_key }}) over by_driving_key as next_link,
        lead(load_datetime) over by_driving_key as next_load_datetime
    from timeline
    window by_driving_key as (partition by {{ driving_key }} order by load_datetime)
),

changes as (
    select *
    from compared
    where is_new and (previous_link is null or previous_link <> {{ hash_key }})
)

select distinct {{ hash_key }}, {{ driving_key }}, load_datetime, is_active, record_source
from (
    select {{ hash_key }}, {{ driving_key }}, load_datetime, true as is_active, record_source
    from changes
    union all
    select previous_link, {{ driving_key }}, load_datetime, false, record_source
    from changes
    where previous_link is not null
    union all
    select {{ hash_key }}, {{ driving_key }}, next_load_datetime, false, record_source
    from changes
    where next_link is not null and next_link <> {{ hash_key }}
) as effectivity
{%- endif %}
{%- endmacro %}
