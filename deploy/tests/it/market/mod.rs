//! Market: stock reservations through the `Inventory` contract, stalls and products as owners
//! and others see them, search, importing a product from a shop's page (also in a real
//! browser), federated listings, and the page cache and fragments following every change.

mod browser;
mod caching;
mod extruct;
mod federation;
mod images;
mod import;
mod inventory;
mod market_days;
mod search;
mod stalls;
mod stock_purge;

/// The stall "Fell Knits" (`fell-knits`), run by `owner`; its id.
pub async fn fell_knits(t: &crate::support::TestFleet, owner: i64) -> i64 {
    let mut conn = t.db.conn().await;
    let stall = market::db::stalls::insert(
        &mut conn,
        &market::db::stalls::StallFields {
            slug: "fell-knits",
            name: "Fell Knits",
            description: "",
            image_url: None,
            contact: "",
            location: "",
            calendar_slug: None,
        },
    )
    .await
    .unwrap();
    market::db::stalls::add_owner(&mut conn, stall.id, owner)
        .await
        .unwrap();
    stall.id
}
