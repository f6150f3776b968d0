{#- A satellite of one parent hash key, insert-only. A staged row is inserted when no row with its
    (hash key, load_datetime) exists and its hashdiff differs from the row just before it in time,
    comparing staged and already loaded rows together: so A -> B -> A keeps the final A, several
    changes in one batch are all kept in load_datetime order, exact duplicates and reruns insert
    nothing, and a late row is placed where its load_datetime puts it.
    Rows sharing a load_datetime (one standardized batch) are ordered by record_order (the product's
    version_by, if any), then hashdiff, and get 1-microsecond steps so (hash key, load_datetime) is
    unique and the order is deterministic. -#}
{% macro tardis_satellite(hash_key, hashdiff, columns, source) -%}
with staged as (
    select distinct
        {{ hash_key }},
        {{ hashdiff }} as hashdiff,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        load_datetime,
        record_order,
        record_source
    from {{ source }}
    where {{ hash_key }} is not null
    {{ tardis_lookback_filter() }}
),

sequenced as (
    select
        {{ hash_key }},
        hashdiff,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        timestamp_micros(
            unix_micros(load_datetime)
            + row_number() over (
                partition by {{ hash_key }}, load_datetime order by record_order, hashdiff
            )
            - 1
        ) as load_datetime,
        record_source
    from staged
),

{%- if is_incremental() %}

batch_keys as (
    select distinct {{ hash_key }}
    from sequenced
),

-- Only the history of this batch's keys, and only what the comparison needs: with the (small)
-- batch keys broadcast, the satellite is scanned once and never shuffled, so the cost follows the
-- batch rather than the history.
loaded as (
    select /*+ BROADCAST(batch_keys) */
        history.{{ hash_key }},
        history.hashdiff,
        history.load_datetime
    from {{ this }} as history
    left semi join batch_keys
        on batch_keys.{{ hash_key }} = history.{{ hash_key }}
),

new_rows as (
    select sequenced.*
    from sequenced
    left anti join loaded
        on loaded.{{ hash_key }} = sequenced.{{ hash_key }}
        and loaded.load_datetime = sequenced.load_datetime
),

timeline as (
    select {{ hash_key }}, hashdiff, load_datetime, true as is_new
    from new_rows
    union all
    select {{ hash_key }}, hashdiff, load_datetime, false as is_new
    from loaded
),
{%- else %}

new_rows as (
    select *
    from sequenced
),

timeline as (
    select {{ hash_key }}, hashdiff, load_datetime, true as is_new
    from new_rows
),
{%- endif %}

compared as (
    select
        timeline.*,
        lag(hashdiff) over (partition by {{ hash_key }} order by load_datetime) as previous_hashdiff
    from timeline
)

select
    new_rows.{{ hash_key }},
    new_rows.hashdiff,
    {%- for column in columns %}
    new_rows.{{ column }},
    {%- endfor %}
    new_rows.load_datetime,
    new_rows.record_source
from new_rows
inner join compared
    on compared.{{ hash_key }} = new_rows.{{ hash_key }}
    and compared.load_datetime = new_rows.load_datetime
where compared.is_new and (compared.previous_hashdiff is null or compared.previous_hashdiff <> compared.hashdiff)
{%- endmacro %}
