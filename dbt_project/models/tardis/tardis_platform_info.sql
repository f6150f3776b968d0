-- A one-row model that proves the dbt -> Spark Connect -> Iceberg path works end to end.
{{ config(materialized='table', schema='platform') }}
select
    'tardis' as platform,
    cast('{{ run_started_at }}' as timestamp) as built_at
