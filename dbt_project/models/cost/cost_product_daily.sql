{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
-- Effective cost per data product and day (primary input). Cost owned by a squad but by no single
-- product reads '(squad)'; shared and unallocated cost keep rows of their own.
select
    usage_date,
    case when allocation = 'allocated' then tribe else concat('(', allocation, ')') end as tribe,
    case when allocation = 'allocated' then coalesce(squad, '(tribe)') else concat('(', allocation, ')') end
        as squad,
    case
        when allocation <> 'allocated' then concat('(', allocation, ')')
        else coalesce(data_product, '(squad)')
    end as data_product,
    allocation,
    cast(sum(effective_cost) as decimal(38, 10)) as effective_cost,
    sum(coalesce(cpu_seconds, 0)) as cpu_seconds,
    sum(coalesce(memory_gb_seconds, 0)) as memory_gb_seconds
from {{ ref('cost_allocation') }}
where cost_input = '{{ cost_primary_input() }}'
group by 1, 2, 3, 4, 5
