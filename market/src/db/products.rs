//! Queries on `products` and their parts (`product_options`, `product_variants`,
//! `product_images`, `product_slug_history`), and the market's search.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{
    product_images, product_options, product_slug_history, product_variants, products,
};
use shared::models::market::{NewVariant, Product, ProductImage, ProductOption, Variant, status};

/// The weighted document search matches and ranks on (title > tags > description): a
/// generated column with its GIN index (migration `2026-12-03-164000_market_facets`).
const DOCUMENT: &str = "products.search_document";

/// How similar a word of a title must be to a plain query for the title to match.
pub const WORD_SIMILARITY: &str = "0.35";

/// Settings of the current transaction for the searches that follow: pg_trgm's word
/// similarity threshold (its `<%` operator), and no parallel workers (starting them costs
/// more than these small indexed queries take).
pub async fn search_settings(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true), \
         set_config('max_parallel_workers_per_gather', '0', true)",
    )
    .bind::<Text, _>(WORD_SIMILARITY)
    .execute(conn)
    .await
    .map(drop)
}

/// What the market home lists: active products, narrowed by stall, tag, text, stock and
/// price (minor units, inclusive).
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    pub stall_id: Option<i64>,
    pub tag: Option<String>,
    pub text: Option<String>,
    pub in_stock: bool,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
}

/// How many products each facet value would list, given the other filters.
#[derive(Debug, Default, Clone)]
pub struct Facets {
    /// Stall id → count.
    pub stalls: Vec<(i64, i64)>,
    /// Tag → count, most used first.
    pub tags: Vec<(String, i64)>,
    pub in_stock: i64,
}

/// Counts for each facet, each under every filter but its own (so choosing a stall still
/// shows how many the others have). One query reads the products matching the other filters
/// (text, price) with their stall, tags and stock; the three facets are counted from those
/// rows, so each costs no query of its own.
pub async fn facets(conn: &mut AsyncPgConnection, f: &Filter) -> QueryResult<Facets> {
    use std::collections::HashMap;
    let rows: Vec<(Option<i64>, Vec<String>, i32)> = filtered(&Filter {
        stall_id: None,
        tag: None,
        in_stock: false,
        ..f.clone()
    })
    .select((products::stall_id, products::tags, products::stock))
    .load(conn)
    .await?;
    let at_stall = |s: &Option<i64>| f.stall_id.is_none_or(|id| *s == Some(id));
    let tagged = |tags: &[String]| f.tag.as_ref().is_none_or(|t| tags.contains(t));
    let stocked = |stock: i32| !f.in_stock || stock > 0;
    let mut stalls: HashMap<i64, i64> = HashMap::new();
    let mut tags: HashMap<&str, i64> = HashMap::new();
    let mut in_stock = 0;
    for (stall, product_tags, stock) in &rows {
        if let Some(id) = stall
            && tagged(product_tags)
            && stocked(*stock)
        {
            *stalls.entry(*id).or_default() += 1;
        }
        if at_stall(stall) && stocked(*stock) {
            for tag in product_tags {
                *tags.entry(tag.as_str()).or_default() += 1;
            }
        }
        if at_stall(stall) && tagged(product_tags) && *stock > 0 {
            in_stock += 1;
        }
    }
    let mut stalls: Vec<(i64, i64)> = stalls.into_iter().collect();
    stalls.sort_unstable();
    let mut tags: Vec<(String, i64)> = tags.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    tags.truncate(40);
    Ok(Facets {
        stalls,
        tags,
        in_stock,
    })
}

fn filtered(f: &Filter) -> products::BoxedQuery<'static, Pg> {
    let mut q = products::table
        .filter(products::status.eq(status::ACTIVE))
        .into_boxed();
    if let Some(stall) = f.stall_id {
        q = q.filter(products::stall_id.eq(stall));
    }
    if let Some(tag) = &f.tag {
        q = q.filter(products::tags.contains(vec![tag.clone()]));
    }
    if f.in_stock {
        // `stock` mirrors the variants' (an untracked variant counts as plenty).
        q = q.filter(products::stock.gt(0));
    }
    if f.min_price.is_some() || f.max_price.is_some() {
        // A product is in range when one of its variants is.
        q = q.filter(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = products.id \
                 AND v.price_cents >= ",
            )
            .bind::<BigInt, _>(f.min_price.unwrap_or(i64::MIN))
            .sql(" AND v.price_cents <= ")
            .bind::<BigInt, _>(f.max_price.unwrap_or(i64::MAX))
            .sql(")"),
        );
    }
    if let Some(text) = &f.text {
        // Words and phrases (`websearch_to_tsquery`: quotes, -exclusion); a plain query also
        // matches near spellings of the title (pg_trgm's `<%`, word similarity at least
        // [`WORD_SIMILARITY`] once [`search_settings`] ran), so "quinse" still finds "Quince".
        // Both arms use their GIN index (`word_similarity(…) > x` would scan every row).
        let words = sql::<Bool>(&format!("({DOCUMENT} @@ websearch_to_tsquery('english', "))
            .bind::<Text, _>(text.clone())
            .sql(")");
        let plain = !text.contains('"') && !text.split_whitespace().any(|w| w.starts_with('-'));
        q = if plain {
            q.filter(
                words
                    .sql(" OR ")
                    .bind::<Text, _>(text.clone())
                    .sql(" <% products.title)"),
            )
        } else {
            q.filter(words.sql(")"))
        };
    }
    q
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Product>> {
    let mut q = filtered(f);
    if let Some(text) = &f.text {
        q = q.order(
            sql::<Double>(&format!(
                "(ts_rank({DOCUMENT}, websearch_to_tsquery('english', "
            ))
            .bind::<Text, _>(text.clone())
            .sql("))::float8 + similarity(products.title, ")
            .bind::<Text, _>(text.clone())
            .sql(")::float8)")
            .desc(),
        );
    }
    q.then_order_by((products::title, products::id))
        .limit(limit)
        .offset(offset)
        .select(Product::as_select())
        .load(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection, f: &Filter) -> QueryResult<i64> {
    filtered(f).count().get_result(conn).await
}

/// Every product of a stall, drafts and archived too (for its owners).
pub async fn of_stall(conn: &mut AsyncPgConnection, stall_id: i64) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::stall_id.eq(stall_id))
        .order((products::title, products::id))
        .select(Product::as_select())
        .load(conn)
        .await
}

/// How many live products each of `stall_ids` has (stalls with none are left out).
pub async fn active_counts(
    conn: &mut AsyncPgConnection,
    stall_ids: &[i64],
) -> QueryResult<Vec<(Option<i64>, i64)>> {
    products::table
        .filter(products::stall_id.eq_any(stall_ids))
        .filter(products::status.eq(status::ACTIVE))
        .group_by(products::stall_id)
        .select((products::stall_id, diesel::dsl::count_star()))
        .load(conn)
        .await
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Product>> {
    shared::models::market::by_slug(conn, slug).await
}

/// The current slug of the product that used to answer at `slug`.
pub async fn moved_from(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<String>> {
    product_slug_history::table
        .inner_join(products::table)
        .filter(product_slug_history::slug.eq(slug))
        .select(products::slug)
        .first(conn)
        .await
        .optional()
}

pub async fn options_of(
    conn: &mut AsyncPgConnection,
    product_id: i64,
) -> QueryResult<Vec<ProductOption>> {
    product_options::table
        .filter(product_options::product_id.eq(product_id))
        .order(product_options::position)
        .select(ProductOption::as_select())
        .load(conn)
        .await
}

pub async fn variants_of(
    conn: &mut AsyncPgConnection,
    product_id: i64,
) -> QueryResult<Vec<Variant>> {
    product_variants::table
        .filter(product_variants::product_id.eq(product_id))
        .order((product_variants::position, product_variants::id))
        .select(Variant::as_select())
        .load(conn)
        .await
}

pub async fn images_of(
    conn: &mut AsyncPgConnection,
    product_id: i64,
) -> QueryResult<Vec<ProductImage>> {
    product_images::table
        .filter(product_images::product_id.eq(product_id))
        .order((product_images::position, product_images::id))
        .select(ProductImage::as_select())
        .load(conn)
        .await
}

/// Puts a product at a stall with `tags` (the seed moves its first products this way).
pub async fn set_stall(
    conn: &mut AsyncPgConnection,
    id: i64,
    stall_id: i64,
    tags: &[&str],
) -> QueryResult<()> {
    diesel::update(products::table.find(id))
        .set((products::stall_id.eq(stall_id), products::tags.eq(tags)))
        .execute(conn)
        .await
        .map(drop)
}

/// A product as its owner's form describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub tags: Vec<String>,
    pub options: Vec<String>,
    pub variants: Vec<VariantDraft>,
    pub images: Vec<ImageDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDraft {
    pub options: [Option<String>; 3],
    pub sku: Option<String>,
    pub price_cents: i64,
    pub currency: String,
    pub stock: Option<i32>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDraft {
    pub url: String,
    pub alt: String,
}

impl ProductDraft {
    fn first_image(&self) -> Option<&str> {
        <[ImageDraft]>::first(&self.images).map(|i| i.url.as_str())
    }
}

/// Writes a new product of `stall_id` with its options, variants and images, all or nothing.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    stall_id: i64,
    d: &ProductDraft,
) -> QueryResult<Product> {
    conn.transaction(async |conn| {
        let first = <[VariantDraft]>::first(&d.variants);
        let product: Product = diesel::insert_into(products::table)
            .values((
                products::slug.eq(&d.slug),
                products::title.eq(&d.title),
                products::description.eq(&d.description),
                products::status.eq(&d.status),
                products::tags.eq(&d.tags),
                products::stall_id.eq(stall_id),
                products::image_url.eq(d.first_image()),
                products::price_cents.eq(first.map_or(0, |v| v.price_cents)),
                products::currency.eq(first.map_or("GBP", |v| v.currency.as_str())),
            ))
            .returning(Product::as_returning())
            .get_result(conn)
            .await?;
        write_parts(conn, product.id, d).await?;
        reload(conn, product.id).await
    })
    .await
}

/// Rewrites a product from `d`. Variants are matched by their option values, so one that
/// stays keeps its id (and any stock reserved against it); a renamed slug joins the history.
pub async fn update(
    conn: &mut AsyncPgConnection,
    current: &Product,
    d: &ProductDraft,
) -> QueryResult<Product> {
    conn.transaction(async |conn| {
        if current.slug != d.slug {
            diesel::insert_into(product_slug_history::table)
                .values((
                    product_slug_history::slug.eq(&current.slug),
                    product_slug_history::product_id.eq(current.id),
                ))
                .on_conflict(product_slug_history::slug)
                .do_update()
                .set(product_slug_history::product_id.eq(current.id))
                .execute(conn)
                .await?;
            diesel::delete(product_slug_history::table.find(&d.slug))
                .execute(conn)
                .await?;
        }
        diesel::update(products::table.find(current.id))
            .set((
                products::slug.eq(&d.slug),
                products::title.eq(&d.title),
                products::description.eq(&d.description),
                products::status.eq(&d.status),
                products::tags.eq(&d.tags),
                products::image_url.eq(d.first_image()),
            ))
            .execute(conn)
            .await?;
        write_parts(conn, current.id, d).await?;
        reload(conn, current.id).await
    })
    .await
}

async fn reload(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Product> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
        .await
}

async fn write_parts(conn: &mut AsyncPgConnection, id: i64, d: &ProductDraft) -> QueryResult<()> {
    diesel::delete(product_options::table.filter(product_options::product_id.eq(id)))
        .execute(conn)
        .await?;
    for (i, name) in d.options.iter().enumerate() {
        diesel::insert_into(product_options::table)
            .values((
                product_options::product_id.eq(id),
                product_options::position.eq(i as i16 + 1),
                product_options::name.eq(name),
            ))
            .execute(conn)
            .await?;
    }
    diesel::delete(product_images::table.filter(product_images::product_id.eq(id)))
        .execute(conn)
        .await?;
    for (i, image) in d.images.iter().enumerate() {
        diesel::insert_into(product_images::table)
            .values((
                product_images::product_id.eq(id),
                product_images::url.eq(&image.url),
                product_images::alt.eq(&image.alt),
                product_images::position.eq(i as i32),
            ))
            .execute(conn)
            .await?;
    }
    let existing = variants_of(conn, id).await?;
    let mut kept = Vec::new();
    for (i, v) in d.variants.iter().enumerate() {
        let [o1, o2, o3] = &v.options;
        let same = existing
            .iter()
            .find(|e| (&e.option1, &e.option2, &e.option3) == (o1, o2, o3));
        match same {
            Some(e) => {
                diesel::update(product_variants::table.find(e.id))
                    .set((
                        product_variants::sku.eq(&v.sku),
                        product_variants::price_cents.eq(v.price_cents),
                        product_variants::currency.eq(&v.currency),
                        product_variants::stock.eq(v.stock),
                        product_variants::image_url.eq(&v.image_url),
                        product_variants::position.eq(i as i32),
                    ))
                    .execute(conn)
                    .await?;
                kept.push(e.id);
            }
            None => {
                let new_id: i64 = diesel::insert_into(product_variants::table)
                    .values(&NewVariant {
                        product_id: id,
                        sku: v.sku.as_deref(),
                        option1: o1.as_deref(),
                        option2: o2.as_deref(),
                        option3: o3.as_deref(),
                        price_cents: v.price_cents,
                        currency: &v.currency,
                        stock: v.stock,
                        image_url: v.image_url.as_deref(),
                        position: i as i32,
                    })
                    .returning(product_variants::id)
                    .get_result(conn)
                    .await?;
                kept.push(new_id);
            }
        }
    }
    diesel::delete(
        product_variants::table
            .filter(product_variants::product_id.eq(id))
            .filter(product_variants::id.ne_all(kept)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Shows image `url` (one of its product's) on variant `id`, or none.
pub async fn set_variant_image(
    conn: &mut AsyncPgConnection,
    id: i64,
    url: Option<&str>,
) -> QueryResult<()> {
    diesel::update(product_variants::table.find(id))
        .set(product_variants::image_url.eq(url))
        .execute(conn)
        .await
        .map(drop)
}

/// The product, locked for the rest of the transaction (a change reads its status before).
pub async fn for_update(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Product>> {
    products::table
        .find(id)
        .for_update()
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()
}

/// Whether a checkout holds stock of one of the product's variants (a reservation not yet
/// committed or released).
pub async fn has_held_stock(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = Bool)]
        held: bool,
    }
    let row: Held = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM inventory_reservation_lines l \
         JOIN inventory_reservations r ON r.id = l.reservation_id \
         JOIN product_variants v ON v.id = l.variant_id \
         WHERE v.product_id = $1 AND r.state = 'held') AS held",
    )
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .await?;
    Ok(row.held)
}

/// Deletes a product with its options, variants and images (their rows cascade).
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(products::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}
