{#- Where a record stands among the records of one standardized batch (dbt_project/README.md, the
    vault's rules). A Kafka record's `_source_id` is `topic/partition/offset`: partition and offset are
    zero-padded, so text order is offset order (offset 10 comes after offset 9); a file record's id is
    its file and zero-padded row number (`<file>#000000000017`), ordered as text: file order. `jobs/std/loads.py` orders a batch the same way when
    it picks the one record std keeps. -#}
{% macro tardis_record_position(source_id='_source_id') -%}
    case
        when {{ source_id }} rlike '^[^/]+/[0-9]+/[0-9]+$' then concat(
            lpad(regexp_extract({{ source_id }}, '/([0-9]+)/[0-9]+$', 1), 10, '0'),
            '/',
            lpad(regexp_extract({{ source_id }}, '/([0-9]+)$', 1), 20, '0')
        )
        else {{ source_id }}
    end
{%- endmacro %}
