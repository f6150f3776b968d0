{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
-- Effective cost per provider, tribe and billing month from each input (CUR and FOCUS) side by side: the
-- same bill must give the same totals whichever export feeds the models. Per provider, since a FOCUS file
-- may also hold Azure or OCI charges, which a CUR (AWS only) never does: those rows have no cur_cost.
select
    billing_period,
    provider,
    case when allocation = 'allocated' then tribe else concat('(', allocation, ')') end as tribe,
    cast(sum(case when cost_input = 'cur' then effective_cost end) as decimal(38, 10)) as cur_cost,
    cast(sum(case when cost_input = 'focus' then effective_cost end) as decimal(38, 10)) as focus_cost
from {{ ref('cost_allocation') }}
group by 1, 2, 3
