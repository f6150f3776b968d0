{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
-- Daily effective cost by provider, tribe, squad, service and account, from the primary input (var
-- cost_primary_input, by default the first of cost_inputs). Shared and unallocated cost are rows of
-- their own: tribe and squad read '(shared)' or '(unallocated)', so the rows of a day add up to the bill.
select
    usage_date,
    billing_period,
    provider,
    case when allocation = 'allocated' then tribe else concat('(', allocation, ')') end as tribe,
    case when allocation = 'allocated' then coalesce(squad, '(tribe)') else concat('(', allocation, ')') end
        as squad,
    service,
    account_id,
    allocation,
    cast(sum(effective_cost) as decimal(38, 10)) as effective_cost,
    cast(sum(billed_cost) as decimal(38, 10)) as billed_cost
from {{ ref('cost_allocation') }}
where cost_input = '{{ cost_primary_input() }}'
group by 1, 2, 3, 4, 5, 6, 7, 8
