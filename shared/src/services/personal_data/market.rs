//! The market's rows: the stalls the member owns with their products, and the imports they
//! ran. Co-owners are not named.

use super::{Query, many};

pub(super) const QUERIES: &[Query] = &[
    many(
        "stalls",
        "SELECT s.slug, s.name, s.description, s.contact, s.location, s.image_url, \
         o.created_at AS owner_since, s.created_at, s.updated_at, \
         (SELECT coalesce(json_agg(json_build_object('slug', p.slug, 'title', p.title, \
         'status', p.status, 'price_cents', p.price_cents, 'currency', p.currency, \
         'stock', p.stock, 'created_at', p.created_at) ORDER BY p.id), '[]'::json) \
         FROM products p WHERE p.stall_id = s.id) AS products \
         FROM stall_owners o JOIN stalls s ON s.id = o.stall_id WHERE o.user_id = $1 \
         ORDER BY s.id",
    ),
    many(
        "imports",
        "SELECT i.id, s.slug AS stall, i.created_at, \
         (SELECT count(x.id) FROM market_import_items x WHERE x.import_id = i.id) AS items \
         FROM market_imports i JOIN stalls s ON s.id = i.stall_id WHERE i.created_by = $1 \
         ORDER BY i.id",
    ),
];
