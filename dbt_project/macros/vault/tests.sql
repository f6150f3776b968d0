{#- Generic tests of the vault: no two rows share the combination of `columns`. -#}
{% test tardis_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- The latest row of each key in a satellite (by `version`, then load_datetime: the satellite's
    order) holds the state of that key's row in the product's std table (`current_only`: its current
    row, for scd2). Compared by hashdiff, the key hashed as staging hashes it; a key missing on either
    side is a failure too. `key_columns` are std's columns of the hub's business key, `columns` the
    satellite's [name, type] pairs in hashdiff order. -#}
{% test tardis_latest_equals_std(model, hash_key, std, key_columns, columns, version=none, current_only=false) %}
with latest as (
    select {{ hash_key }}, hashdiff
    from (
        select
            {{ hash_key }},
            hashdiff,
            row_number() over (
                partition by {{ hash_key }}
                order by {% if version %}{{ version }} desc nulls last, {% endif %}load_datetime desc
            ) as position
        from {{ model }}
    ) as ranked
    where position = 1
),

published as (
    select *
    from (
        select
            {{ tardis_hash_key(key_columns) }} as {{ hash_key }},
            {{ tardis_hashdiff(columns) }} as hashdiff
        from {{ std }}
        {%- if current_only %}
        where is_current
        {%- endif %}
    ) as hashed
    where {{ hash_key }} is not null
)

select
    coalesce(latest.{{ hash_key }}, published.{{ hash_key }}) as {{ hash_key }},
    latest.hashdiff as satellite_hashdiff,
    published.hashdiff as std_hashdiff
from latest
full outer join published
    on published.{{ hash_key }} = latest.{{ hash_key }}
where not (latest.hashdiff <=> published.hashdiff)
{% endtest %}
