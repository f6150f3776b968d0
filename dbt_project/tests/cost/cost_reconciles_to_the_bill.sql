-- Fails with the days on which allocated + shared + unallocated cost differs from the bill by half a
-- cent or more.
select cost_input, provider, usage_date, bill_effective_cost, difference
from {{ ref('cost_reconciliation') }}
where abs(difference) >= 0.005
