{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
-- Per input, provider and day: the bill's effective cost against what the allocation hands out.
-- `difference` must stay below half a cent (dbt test cost_reconciles_to_the_bill).
with bill as (
    select cost_input, provider, usage_date, sum(effective_cost) as bill_effective_cost
    from {{ ref('cost_line_items') }}
    group by cost_input, provider, usage_date
),

allocated as (
    select
        cost_input,
        provider,
        usage_date,
        sum(case when allocation = 'allocated' then effective_cost else 0 end) as allocated_cost,
        sum(case when allocation = 'shared' then effective_cost else 0 end) as shared_cost,
        sum(case when allocation = 'unallocated' then effective_cost else 0 end) as unallocated_cost
    from {{ ref('cost_allocation') }}
    group by cost_input, provider, usage_date
)

select
    b.cost_input,
    b.provider,
    b.usage_date,
    cast(b.bill_effective_cost as decimal(38, 10)) as bill_effective_cost,
    cast(coalesce(a.allocated_cost, 0) as decimal(38, 10)) as allocated_cost,
    cast(coalesce(a.shared_cost, 0) as decimal(38, 10)) as shared_cost,
    cast(coalesce(a.unallocated_cost, 0) as decimal(38, 10)) as unallocated_cost,
    cast(
        b.bill_effective_cost
        - coalesce(a.allocated_cost, 0) - coalesce(a.shared_cost, 0) - coalesce(a.unallocated_cost, 0)
        as decimal(38, 10)
    ) as difference
from bill as b
left join allocated as a
    on a.cost_input = b.cost_input and a.provider = b.provider and a.usage_date = b.usage_date
