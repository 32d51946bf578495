//! The cart's rows: the member's carts and their orders with lines, history and refunds.
//! Out: the order's access digest and payment provider ids (credentials, not data about the
//! member), and who refunded (another member).

use super::{Query, many};

pub(super) const QUERIES: &[Query] = &[
    many(
        "carts",
        "SELECT c.id, c.created_at, c.updated_at, \
         (SELECT coalesce(json_agg(json_build_object('kind', i.kind, 'item_id', i.item_id, \
         'quantity', i.quantity, 'added_at', i.added_at) ORDER BY i.added_at), '[]'::json) \
         FROM cart_items i WHERE i.cart_id = c.id) AS items \
         FROM carts c WHERE c.user_id = $1 ORDER BY c.id",
    ),
    many(
        "orders",
        "SELECT o.reference, o.state, o.email, o.contact_name, o.fulfilment, o.address, \
         o.currency, o.total_cents, o.refunded_cents, o.paid_at, o.created_at, o.updated_at, \
         (SELECT coalesce(json_agg(json_build_object('kind', l.kind, 'item_id', l.item_id, \
         'title', l.title, 'unit_price_cents', l.unit_price_cents, 'quantity', l.quantity) \
         ORDER BY l.position), '[]'::json) FROM order_lines l WHERE l.order_id = o.id) AS lines, \
         (SELECT coalesce(json_agg(json_build_object('from_state', h.from_state, \
         'to_state', h.to_state, 'by', h.actor, 'note', h.note, 'at', h.created_at) \
         ORDER BY h.id), '[]'::json) FROM order_history h WHERE h.order_id = o.id) AS history, \
         (SELECT coalesce(json_agg(json_build_object('amount_cents', r.amount_cents, \
         'note', r.note, 'at', r.created_at) ORDER BY r.id), '[]'::json) \
         FROM order_refunds r WHERE r.order_id = o.id) AS refunds \
         FROM orders o WHERE o.user_id = $1 ORDER BY o.id",
    ),
];
