{#- Hashing conventions of the Tardis vault (documented in dbt_project/README.md).
    Business keys: cast to string, trimmed, upper-cased; empty becomes null; null becomes the token.
    Hashdiffs: cast to string (timestamps as UTC epoch microseconds, complex types as JSON), trimmed,
    case kept; null becomes the token. Values are escaped so the delimiter and the token cannot occur
    inside a value, then joined with the delimiter and hashed (MD5, or SHA-256 with
    `--vars '{tardis_hash_algorithm: sha256}'`). -#}

{% macro tardis_null_token() %}{{ return("'^^'") }}{% endmacro %}

{% macro tardis_delimiter() %}{{ return("'||'") }}{% endmacro %}

{% macro tardis_hash(expression) -%}
    {%- set algorithm = var('tardis_hash_algorithm', 'md5') -%}
    {%- if algorithm == 'sha256' -%}
        sha2({{ expression }}, 256)
    {%- elif algorithm == 'md5' -%}
        md5({{ expression }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("tardis_hash_algorithm must be md5 or sha256, got " ~ algorithm) }}
    {%- endif -%}
{%- endmacro %}

{#- A backslash, '|' and '^' inside a value get a backslash in front, so `a||b` can never be read as
    two values and a literal '^^' never equals the null token. -#}
{% macro tardis_escape(expression) -%}
    replace(replace(replace({{ expression }}, '\\', '\\\\'), '|', '\\|'), '^', '\\^')
{%- endmacro %}

{% macro tardis_business_key_value(column) -%}
    nullif(upper(trim(cast({{ column }} as string))), '')
{%- endmacro %}

{#- The hash key of one or more business key columns; null when every column is null or empty,
    so such rows are not loaded (staging counts them in a warn test). -#}
{% macro tardis_hash_key(columns) -%}
    case
        when {% for column in columns %}{{ tardis_business_key_value(column) }} is null{% if not loop.last %} and {% endif %}{% endfor %} then null
        else {{ tardis_hash(tardis_joined_business_key(columns)) }}
    end
{%- endmacro %}

{#- A link's hash key: the business keys of its hubs in the link's hub order; null when any hub's
    key is entirely null (a link to nothing is not a relationship). -#}
{% macro tardis_link_hash_key(hub_columns) -%}
    {%- set all_columns = [] -%}
    {%- for columns in hub_columns %}{% for column in columns %}{% do all_columns.append(column) %}{% endfor %}{% endfor -%}
    case
        {% for columns in hub_columns -%}
        when {% for column in columns %}{{ tardis_business_key_value(column) }} is null{% if not loop.last %} and {% endif %}{% endfor %} then null
        {% endfor -%}
        else {{ tardis_hash(tardis_joined_business_key(all_columns)) }}
    end
{%- endmacro %}

{% macro tardis_joined_business_key(columns) -%}
    concat_ws({{ tardis_delimiter() }}{% for column in columns %}, coalesce({{ tardis_escape(tardis_business_key_value(column)) }}, {{ tardis_null_token() }}){% endfor %})
{%- endmacro %}

{% macro tardis_hashdiff_value(column, data_type) -%}
    {%- set kind = data_type | lower -%}
    {%- if kind == 'timestamp' -%}
        cast(unix_micros({{ column }}) as string)
    {%- elif kind.startswith('array') or kind.startswith('struct') or kind.startswith('map') -%}
        to_json({{ column }})
    {%- else -%}
        trim(cast({{ column }} as string))
    {%- endif -%}
{%- endmacro %}

{#- The hashdiff of descriptive columns, given as [[name, type], ...] in the documented order
    (sorted by column name: the generator sorts them). -#}
{% macro tardis_hashdiff(columns) -%}
    {{ tardis_hash("concat_ws(" ~ tardis_delimiter() ~ tardis_hashdiff_parts(columns) ~ ")") }}
{%- endmacro %}

{% macro tardis_hashdiff_parts(columns) -%}
    {%- for column in columns %}, coalesce({{ tardis_escape(tardis_hashdiff_value(column[0], column[1])) }}, {{ tardis_null_token() }}){% endfor -%}
{%- endmacro %}

{#- Rows a vault load reads from a staging relation: everything, or with
    `tardis_vault_lookback_hours` set, only rows loaded at most that many hours before the newest row
    already in the target (reruns are idempotent either way; see README, late-arriving data). -#}
{% macro tardis_lookback_filter(load_datetime='load_datetime') -%}
    {%- set hours = var('tardis_vault_lookback_hours', none) -%}
    {%- if is_incremental() and hours is not none -%}
        and {{ load_datetime }} >= (
            select coalesce(max(load_datetime), timestamp'1900-01-01 00:00:00') - make_dt_interval(0, {{ hours | int }})
            from {{ this }}
        )
    {%- endif -%}
{%- endmacro %}
