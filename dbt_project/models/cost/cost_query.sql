{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
-- Cost of each Dagster step and Spark query on shared compute: its share of the compute pool's cost
-- that day by CPU- and memory-seconds (primary input).
select
    usage_date,
    run_id,
    step_key,
    query_id,
    asset_key,
    data_product,
    tribe,
    squad,
    resource_id as compute_resource_id,
    service,
    sum(cpu_seconds) as cpu_seconds,
    sum(memory_gb_seconds) as memory_gb_seconds,
    cast(sum(effective_cost) as decimal(38, 10)) as effective_cost
from {{ ref('cost_allocation') }}
where cost_input = '{{ cost_primary_input() }}' and method = 'compute_share'
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
