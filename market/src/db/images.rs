//! A product's images managed one by one from its edit page: uploads added at the end,
//! described, moved and deleted. Positions are kept 0, 1, 2, … and the product's `image_url`
//! (its card and its federated attachment) follows the first.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{product_images, products};
use shared::models::market::ProductImage;

use super::products::{ImageDraft, images_of};

/// Adds `images` after the product's others.
pub async fn append(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    images: &[ImageDraft],
) -> QueryResult<()> {
    let next = images_of(conn, product_id).await?.len();
    for (i, image) in images.iter().enumerate() {
        diesel::insert_into(product_images::table)
            .values((
                product_images::product_id.eq(product_id),
                product_images::url.eq(&image.url),
                product_images::alt.eq(&image.alt),
                product_images::position.eq((next + i) as i32),
            ))
            .execute(conn)
            .await?;
    }
    follow_first(conn, product_id).await
}

/// Describes image `image_id` of the product and moves it to `position` (0-based, clamped);
/// false when the product has no such image.
pub async fn describe_and_move(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    image_id: i64,
    alt: &str,
    position: usize,
) -> QueryResult<bool> {
    let mut images = images_of(conn, product_id).await?;
    let Some(at) = images.iter().position(|i| i.id == image_id) else {
        return Ok(false);
    };
    let moved = images.remove(at);
    images.insert(position.min(images.len()), moved);
    diesel::update(product_images::table.find(image_id))
        .set(product_images::alt.eq(alt))
        .execute(conn)
        .await?;
    renumber(conn, &images).await?;
    follow_first(conn, product_id).await?;
    Ok(true)
}

/// Deletes image `image_id` of the product; false when it has no such image. (The file stays:
/// stored images are shared by their content, another product or post may show the same.)
pub async fn delete(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    image_id: i64,
) -> QueryResult<bool> {
    let gone = diesel::delete(
        product_images::table
            .filter(product_images::id.eq(image_id))
            .filter(product_images::product_id.eq(product_id)),
    )
    .execute(conn)
    .await?;
    if gone == 0 {
        return Ok(false);
    }
    let images = images_of(conn, product_id).await?;
    renumber(conn, &images).await?;
    follow_first(conn, product_id).await?;
    Ok(true)
}

async fn renumber(conn: &mut AsyncPgConnection, in_order: &[ProductImage]) -> QueryResult<()> {
    for (i, image) in in_order.iter().enumerate() {
        if image.position != i as i32 {
            diesel::update(product_images::table.find(image.id))
                .set(product_images::position.eq(i as i32))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

async fn follow_first(conn: &mut AsyncPgConnection, product_id: i64) -> QueryResult<()> {
    let first = images_of(conn, product_id)
        .await?
        .into_iter()
        .next()
        .map(|i| i.url);
    diesel::update(products::table.find(product_id))
        .set(products::image_url.eq(first))
        .execute(conn)
        .await
        .map(drop)
}
