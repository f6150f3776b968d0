-- One row per order, joined to the latest status of its delivery.
with ranked_deliveries as (
    select
        order_id,
        carrier,
        status as delivery_status,
        event_at as delivery_status_at,
        row_number() over (partition by order_id order by event_at desc, delivery_event_id desc) as rank_in_order
    from {{ product('deliveries') }}
)

select
    o.order_id,
    o.customer_id,
    o.subscription_id,
    o.status as order_status,
    o.box_size,
    o.total_amount,
    o.currency,
    o.placed_at,
    d.carrier,
    d.delivery_status,
    d.delivery_status_at,
    coalesce(d.delivery_status = 'delivered', false) as is_delivered
from {{ product('order_events') }} as o
left join ranked_deliveries as d
    on d.order_id = o.order_id and d.rank_in_order = 1
