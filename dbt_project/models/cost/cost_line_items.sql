{{ config(materialized='table', schema=var('cost_schema', 'cost')) }}
{#- One row per bill line item, from CUR 2.0 and/or FOCUS 1.2 (var cost_inputs), with its amortized
    (effective) cost. CUR rules by line item type: covered usage costs what the commitment charged for
    it, a commitment fee only its unused part, negations and upfront fees nothing (the upfront is
    amortized into covered usage: a Savings Plan's SavingsPlanUpfrontFee, a reservation's `Fee` line,
    the one with a reservation ARN), everything else (Usage, Tax, Credit, Refund, other fees such as
    support, discounts) its unblended cost. The rules of AWS's CUR query library (Well-Architected
    Labs, amortized_cost_by_charge_type). FOCUS carries the same result as EffectiveCost. -#}
{%- set inputs = var('cost_inputs', ['cur', 'focus']) %}

{%- if 'cur' in inputs %}
select
    'cur' as cost_input,
    'AWS' as provider,
    identity_line_item_id as line_item_id,
    to_date(line_item_usage_start_date) as usage_date,
    to_date(bill_billing_period_start_date) as billing_period,
    line_item_usage_account_id as account_id,
    coalesce(product_servicecode, line_item_product_code) as service,
    line_item_product_code as product_code,
    line_item_usage_type as usage_type,
    line_item_line_item_type as line_item_type,
    case
        when line_item_line_item_type in ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage',
                                          'SavingsPlanNegation') then 'Usage'
        when line_item_line_item_type in ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee',
                                          'Fee') then 'Purchase'
        when line_item_line_item_type = 'Tax' then 'Tax'
        when line_item_line_item_type = 'Credit' then 'Credit'
        else 'Adjustment'
    end as charge_category,
    line_item_line_item_type in ('SavingsPlanRecurringFee', 'RIFee') as is_unused_commitment,
    nullif(line_item_resource_id, '') as resource_id,
    nullif(split_line_item_parent_resource_id, '') as parent_resource_id,
    nullif(resource_tags['user_tribe'], '') as tribe,
    nullif(resource_tags['user_squad'], '') as squad,
    nullif(resource_tags['user_data_product'], '') as data_product,
    nullif(resource_tags['user_cost_pool'], '') as cost_pool,
    nullif(resource_tags['aws_eks_namespace'], '') as k8s_namespace,
    cast(coalesce(split_line_item_split_cost, 0) as decimal(38, 10)) as split_cost,
    cast(coalesce(split_line_item_unused_cost, 0) as decimal(38, 10)) as split_unused_cost,
    cast(line_item_unblended_cost as decimal(38, 10)) as billed_cost,
    cast(coalesce(pricing_public_on_demand_cost, 0) as decimal(38, 10)) as list_cost,
    cast(
        case
            when line_item_line_item_type = 'SavingsPlanCoveredUsage'
                then coalesce(savings_plan_savings_plan_effective_cost, 0)
            when line_item_line_item_type = 'DiscountedUsage' then coalesce(reservation_effective_cost, 0)
            when line_item_line_item_type = 'SavingsPlanRecurringFee' then
                coalesce(savings_plan_total_commitment_to_date, 0) - coalesce(savings_plan_used_commitment, 0)
            when line_item_line_item_type = 'RIFee' then
                coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                + coalesce(reservation_unused_recurring_fee, 0)
            when line_item_line_item_type in ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') then 0
            -- A reservation's upfront payment: amortized into its DiscountedUsage, never counted twice.
            when line_item_line_item_type = 'Fee' and coalesce(reservation_reservation_a_r_n, '') <> '' then 0
            else coalesce(line_item_unblended_cost, 0)
        end as decimal(38, 10)
    ) as effective_cost
from {{ source('cost_inputs', 'aws_cur') }}
{%- endif %}
{%- if 'cur' in inputs and 'focus' in inputs %}
union all
{%- endif %}
{%- if 'focus' in inputs %}
select
    'focus' as cost_input,
    -- FOCUS files may hold several providers' bills (AWS, Azure, OCI): each stays its own bill.
    coalesce(nullif(provider_name, ''), '(unknown)') as provider,
    cast(null as string) as line_item_id,
    to_date(charge_period_start) as usage_date,
    to_date(billing_period_start) as billing_period,
    sub_account_id as account_id,
    coalesce(x_service_code, service_name) as service,
    x_service_code as product_code,
    x_usage_type as usage_type,
    concat(charge_category, coalesce(concat(':', commitment_discount_status), '')) as line_item_type,
    charge_category,
    coalesce(commitment_discount_status = 'Unused', false) as is_unused_commitment,
    nullif(resource_id, '') as resource_id,
    cast(null as string) as parent_resource_id,
    nullif(tags['tribe'], '') as tribe,
    nullif(tags['squad'], '') as squad,
    nullif(tags['data_product'], '') as data_product,
    nullif(tags['cost_pool'], '') as cost_pool,
    cast(null as string) as k8s_namespace,
    cast(0 as decimal(38, 10)) as split_cost,
    cast(0 as decimal(38, 10)) as split_unused_cost,
    cast(billed_cost as decimal(38, 10)) as billed_cost,
    cast(coalesce(list_cost, 0) as decimal(38, 10)) as list_cost,
    cast(effective_cost as decimal(38, 10)) as effective_cost
from {{ source('cost_inputs', 'focus_costs') }}
{%- endif %}
