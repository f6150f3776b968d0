{#- A satellite of one parent hash key, insert-only, its history ordered by the product's version.

    Order: by `version` (the product's `load.version_by`, nulls first) when there is one, then by
    load_datetime (when Tardis standardized the row), then by the record's position in its batch
    (`record_id`, e.g. the Kafka offset). Without a version the order is load_datetime, then position.
    A staged row is inserted when no row with its (hash key, load_datetime) exists and its hashdiff
    differs from the row just before it in that order, staged and loaded rows compared together: so a
    late older version is placed where its version puts it (the row after it stays, insert-only), an
    exact re-send (same key, version, payload) equals the row before it and inserts nothing, A -> B -> A
    keeps the final A, and reruns insert nothing.
    With a version, a key has one state per version, the one std keeps: within a batch the last record
    by position; across batches the first applied (std replaces a row only by a greater version).
    Rows of one key sharing a load_datetime (one batch) get 1-microsecond steps in that order, so
    (hash key, load_datetime) is unique and the order deterministic.
    The history read is the increment's keys only (a broadcast semi-join, four columns, read once),
    never the whole satellite. -#}
{% macro tardis_satellite(hash_key, hashdiff, columns, source, version=none) -%}
{%- set stored = columns | list -%}
{%- if version and version not in stored -%}{%- do stored.append(version) -%}{%- endif -%}
{#- A satellite built before it stored the version has no such column: its rows read as null versions
    (ordered first) and the model's `on_schema_change='append_new_columns'` adds the column. -#}
{%- set history_has_version = true -%}
{%- if version and execute and is_incremental() -%}
    {%- set history_has_version = version in (adapter.get_columns_in_relation(this) | map(attribute='name') | list) -%}
{%- endif %}
with staged as (
    select
        {{ hash_key }},
        {{ hashdiff }} as hashdiff,
        {%- for column in stored %}
        {{ column }},
        {%- endfor %}
        load_datetime,
        record_id,
        record_source
    from {{ source }}
    where {{ hash_key }} is not null
    {{ tardis_lookback_filter() }}
),
{%- if version %}

-- One state per key and version in a batch: the last record by position (the one std keeps).
versions as (
    select *
    from (
        select
            staged.*,
            row_number() over (
                partition by {{ hash_key }}, load_datetime, {{ version }} order by record_id desc
            ) as nth_record
        from staged
    ) as ranked
    where nth_record = 1
),
{%- endif %}

sequenced as (
    select
        {{ hash_key }},
        hashdiff,
        {%- for column in stored %}
        {{ column }},
        {%- endfor %}
        timestamp_micros(
            unix_micros(load_datetime)
            + row_number() over (
                partition by {{ hash_key }}, load_datetime
                order by {% if version %}{{ version }}, {% endif %}record_id, hashdiff
            )
            - 1
        ) as load_datetime,
        record_source
    from {{ 'versions' if version else 'staged' }}
),

{%- if is_incremental() %}

-- From the staged rows, not `sequenced`: the same keys, without computing the batch's windows twice.
-- Not made distinct: a semi-join's build side may repeat keys, and a distinct would cost an
-- aggregation and a shuffle before the history scan can start.
batch_keys as (
    select {{ hash_key }}
    from staged
),

-- Only the history of this batch's keys, and only what the comparison needs: with the (small)
-- batch keys broadcast, the satellite is scanned once and never shuffled, so the cost follows the
-- batch rather than the history.
loaded as (
    select /*+ BROADCAST(batch_keys) */
        history.{{ hash_key }},
        history.hashdiff,
        {%- if version %}
        {% if history_has_version %}history.{{ version }}{% else %}null as {{ version }}{% endif %},
        {%- endif %}
        history.load_datetime
    from {{ this }} as history
    left semi join batch_keys
        on batch_keys.{{ hash_key }} = history.{{ hash_key }}
),

-- Staged and loaded rows of the batch's keys in one relation (each read once), spread by hash key so
-- the windows below need no further shuffle.
both_sides as (
    select *
    from (
        select
            {{ hash_key }},
            hashdiff,
            {%- for column in stored %}
            {{ column }},
            {%- endfor %}
            load_datetime,
            record_source,
            true as is_new
        from sequenced
        union all
        select
            {{ hash_key }},
            hashdiff,
            {%- for column in stored %}
            {% if column == version %}{{ column }}{% else %}null{% endif %} as {{ column }},
            {%- endfor %}
            load_datetime,
            null as record_source,
            false as is_new
        from loaded
    ) as sides
    distribute by {{ hash_key }}
),

-- A staged row already loaded (same hash key and load_datetime) is not new: only its loaded copy stays.
timeline as (
    select *
    from (
        select
            both_sides.*,
            max(case when is_new then 0 else 1 end) over (
                partition by {{ hash_key }}, load_datetime
            ) as is_loaded
        from both_sides
    ) as marked
    where not is_new or is_loaded = 0
),
{%- else %}

timeline as (
    select sequenced.*, true as is_new
    from sequenced
),
{%- endif %}
{%- if version %}

-- A version already applied in an earlier batch keeps its state (as in std): later ones drop out.
applied as (
    select *
    from (
        select
            timeline.*,
            row_number() over (partition by {{ hash_key }}, {{ version }} order by load_datetime) as nth_batch
        from timeline
    ) as ranked
    where nth_batch = 1
),
{%- endif %}

compared as (
    select
        *,
        lag(hashdiff) over (
            partition by {{ hash_key }}
            order by {% if version %}{{ version }} nulls first, {% endif %}load_datetime
        ) as previous_hashdiff
    from {{ 'applied' if version else 'timeline' }}
)

select
    {{ hash_key }},
    hashdiff,
    {%- for column in stored %}
    {{ column }},
    {%- endfor %}
    load_datetime,
    record_source
from compared
where is_new and (previous_hashdiff is null or previous_hashdiff <> hashdiff)
{%- endmacro %}
