//! The fleet's navigation menus (`nav_items`), which the blog edits.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::nav_items;
use shared::models::blog::{NavItem, NewNavItem};

/// A menu's items, in order. The query is shared because the `Navigation` contract serves it
/// to other apps; one definition keeps the blog's admin and every app's menu identical.
pub async fn menu(conn: &mut AsyncPgConnection, menu: &str) -> QueryResult<Vec<NavItem>> {
    shared::models::blog::menu(conn, menu).await
}

pub async fn insert_nav_item(
    conn: &mut AsyncPgConnection,
    new: &NewNavItem<'_>,
) -> QueryResult<NavItem> {
    diesel::insert_into(nav_items::table)
        .values(new)
        .returning(NavItem::as_returning())
        .get_result(conn)
        .await
}

/// Replaces a menu's items, in order.
pub async fn replace_menu(
    conn: &mut AsyncPgConnection,
    menu: &str,
    items: &[(String, String)],
) -> QueryResult<()> {
    diesel::delete(nav_items::table.filter(nav_items::menu.eq(menu)))
        .execute(conn)
        .await?;
    let rows: Vec<NewNavItem<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, (label, url))| NewNavItem {
            menu,
            label,
            url,
            position: i32::try_from(i).unwrap_or(i32::MAX),
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(nav_items::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}
