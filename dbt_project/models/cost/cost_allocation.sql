{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
{#- Every dollar of the bill, per input and day, given to an owner or shown as shared/unallocated.

    Routes, decided per line item:
    - eks: cost of an EKS node on a day (its instance id appears as a split parent in CUR, or as an
      OpenCost provider id) is divided among its pods by their weights: CUR split cost (the pod's
      usage) where the bill has split rows for that node and day, else OpenCost total cost. The
      unused/idle part of the node becomes a shared `eks_idle` row.
    - compute: shared Spark compute (tag cost_pool=shared_compute: EMR Serverless, the Spark cluster)
      is divided among the steps and queries that ran on it that day by
      cpu_weight * CPU-second share + (1 - cpu_weight) * memory-second share (var compute_cpu_weight,
      default 0.5). A pool-day with no telemetry stays shared (`idle_compute`).
    - direct: by the line's own tags; platform cost pools, tax, credits, refunds and unused
      commitments are shared; anything else without an owner tag is unallocated.
    Pieces are weight shares of the same cost, so they add up to the bill per day (tested). -#}
{%- set cpu_weight = var('compute_cpu_weight', 0.5) | float %}

with items as (
    select * from {{ ref('cost_line_items') }}
),

inputs as (
    select distinct cost_input from items
),

-- Squads named by tags anywhere: a pod's namespace that equals a squad name belongs to that squad.
known_squads as (
    select squad, min(tribe) as tribe
    from items
    where squad is not null and tribe is not null
    group by squad
    having count(distinct tribe) = 1
),

split_pods as (
    select cost_input, usage_date, parent_resource_id as node_id, tribe, squad, data_product, cost_pool,
        k8s_namespace, split_cost, split_unused_cost
    from items
    where parent_resource_id is not null
),

split_node_days as (
    select distinct cost_input, usage_date, node_id from split_pods
),

opencost as (
    select
        to_date(window_start) as usage_date,
        provider_id as node_id,
        name = '__idle__' as is_idle,
        nullif(labels['tribe'], '') as tribe,
        nullif(labels['squad'], '') as squad,
        nullif(labels['data_product'], '') as data_product,
        nullif(labels['cost_pool'], '') as cost_pool,
        namespace as k8s_namespace,
        cast(total_cost as double) as weight
    from {{ source('cost_inputs', 'k8s_allocations') }}
    where provider_id is not null
),

pod_weights as (
    select cost_input, usage_date, node_id, 'eks_split' as method, false as is_idle, tribe, squad,
        data_product, cost_pool, k8s_namespace, cast(split_cost as double) as weight
    from split_pods
    union all
    select cost_input, usage_date, node_id, 'eks_split' as method, true as is_idle, null, null, null, null,
        null, cast(split_unused_cost as double) as weight
    from split_pods
    union all
    select i.cost_input, o.usage_date, o.node_id, 'opencost' as method, o.is_idle, o.tribe, o.squad,
        o.data_product, o.cost_pool, o.k8s_namespace, o.weight
    from opencost as o
    cross join inputs as i
    left join split_node_days as s
        on s.cost_input = i.cost_input and s.usage_date = o.usage_date and s.node_id = o.node_id
    where s.node_id is null
),

node_days as (
    select cost_input, usage_date, node_id, sum(weight) as total_weight
    from pod_weights
    group by cost_input, usage_date, node_id
    having sum(weight) > 0
),

telemetry as (
    select
        to_date(started_at) as usage_date,
        compute_resource_id,
        run_id,
        step_key,
        query_id,
        asset_key,
        nullif(data_product, '') as data_product,
        nullif(tribe, '') as tribe,
        nullif(squad, '') as squad,
        greatest(coalesce(executor_cpu_seconds, duration_seconds, 0), 0) as cpu_seconds,
        greatest(coalesce(memory_gb_seconds, 0), 0) as memory_gb_seconds
    from {{ source('cost_inputs', 'platform_telemetry') }}
    where compute_resource_id is not null
),

pool_days as (
    select usage_date, compute_resource_id, sum(cpu_seconds) as cpu_total, sum(memory_gb_seconds) as memory_total
    from telemetry
    group by usage_date, compute_resource_id
    having sum(cpu_seconds) > 0 or sum(memory_gb_seconds) > 0
),

telemetry_shares as (
    select
        t.*,
        case
            when p.memory_total = 0 then t.cpu_seconds / p.cpu_total
            when p.cpu_total = 0 then t.memory_gb_seconds / p.memory_total
            else {{ cpu_weight }} * t.cpu_seconds / p.cpu_total
                + {{ 1 - cpu_weight }} * t.memory_gb_seconds / p.memory_total
        end as share
    from telemetry as t
    join pool_days as p
        on p.usage_date = t.usage_date and p.compute_resource_id = t.compute_resource_id
),

routed as (
    select
        i.*,
        case
            when i.parent_resource_id is not null then 'split_row'
            when n.node_id is not null then 'eks'
            when i.cost_pool = 'shared_compute' and p.compute_resource_id is not null then 'compute'
            else 'direct'
        end as route
    from items as i
    left join node_days as n
        on n.cost_input = i.cost_input and n.usage_date = i.usage_date and n.node_id = i.resource_id
        and i.parent_resource_id is null
    left join pool_days as p
        on p.usage_date = i.usage_date and p.compute_resource_id = i.resource_id
),

routed_totals as (
    select cost_input, provider, usage_date, billing_period, account_id, service, resource_id, route,
        sum(effective_cost) as effective_cost, sum(billed_cost) as billed_cost
    from routed
    where route in ('eks', 'compute')
    group by cost_input, provider, usage_date, billing_period, account_id, service, resource_id, route
),

eks as (
    select
        r.cost_input, r.provider, r.usage_date, r.billing_period, r.account_id, r.service, r.resource_id,
        w.method, w.is_idle, w.cost_pool,
        coalesce(w.tribe, k.tribe) as tribe,
        coalesce(w.squad, k.squad) as squad,
        w.data_product,
        cast(null as string) as run_id, cast(null as string) as step_key, cast(null as string) as query_id,
        cast(null as string) as asset_key, cast(null as double) as cpu_seconds,
        cast(null as double) as memory_gb_seconds,
        cast(r.effective_cost * (w.weight / n.total_weight) as decimal(38, 10)) as effective_cost,
        cast(r.billed_cost * (w.weight / n.total_weight) as decimal(38, 10)) as billed_cost
    from routed_totals as r
    join node_days as n
        on n.cost_input = r.cost_input and n.usage_date = r.usage_date and n.node_id = r.resource_id
    join pod_weights as w
        on w.cost_input = r.cost_input and w.usage_date = r.usage_date and w.node_id = r.resource_id
    left join known_squads as k
        on k.squad = coalesce(w.squad, w.k8s_namespace)
    where r.route = 'eks'
),

compute as (
    select
        r.cost_input, r.provider, r.usage_date, r.billing_period, r.account_id, r.service, r.resource_id,
        'compute_share' as method, false as is_idle, cast(null as string) as cost_pool,
        t.tribe, t.squad, t.data_product, t.run_id, t.step_key, t.query_id, t.asset_key,
        t.cpu_seconds, t.memory_gb_seconds,
        cast(r.effective_cost * t.share as decimal(38, 10)) as effective_cost,
        cast(r.billed_cost * t.share as decimal(38, 10)) as billed_cost
    from routed_totals as r
    join telemetry_shares as t
        on t.usage_date = r.usage_date and t.compute_resource_id = r.resource_id
    where r.route = 'compute'
),

direct_items as (
    select
        *,
        case
            when tribe is not null then 'tag'
            when cost_pool = 'shared_compute' then 'idle_compute'
            when cost_pool is not null then 'cost_pool'
            when charge_category in ('Tax', 'Credit', 'Adjustment', 'Purchase') or is_unused_commitment
                then 'account_level'
            else 'untagged'
        end as method
    from routed
    where route = 'direct'
),

direct as (
    select
        cost_input, provider, usage_date, billing_period, account_id, service,
        cast(null as string) as resource_id,
        method, false as is_idle, cost_pool, tribe, squad, data_product,
        cast(null as string) as run_id, cast(null as string) as step_key, cast(null as string) as query_id,
        cast(null as string) as asset_key, cast(null as double) as cpu_seconds,
        cast(null as double) as memory_gb_seconds,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost
    from direct_items
    group by cost_input, provider, usage_date, billing_period, account_id, service, method, cost_pool, tribe,
        squad, data_product
),

pieces as (
    select * from eks
    union all
    select * from compute
    union all
    select * from direct
)

select
    cost_input,
    provider,
    usage_date,
    billing_period,
    account_id,
    service,
    case
        when is_idle or cost_pool = 'shared' or method in ('idle_compute', 'cost_pool', 'account_level')
            then 'shared'
        when tribe is not null then 'allocated'
        else 'unallocated'
    end as allocation,
    method,
    case when not is_idle and coalesce(cost_pool, '') <> 'shared' then tribe end as tribe,
    case when not is_idle and coalesce(cost_pool, '') <> 'shared' then squad end as squad,
    case when not is_idle and coalesce(cost_pool, '') <> 'shared' then data_product end as data_product,
    resource_id,
    run_id,
    step_key,
    query_id,
    asset_key,
    cpu_seconds,
    memory_gb_seconds,
    effective_cost,
    billed_cost
from pieces
