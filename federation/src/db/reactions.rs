//! Likes and Announces of our objects (`ap_reactions`), each counted once on its object.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{ap_objects, ap_reactions};

/// Moves an object's Like or Announce counter one up or (never below zero) one down.
async fn bump_reaction_count(
    conn: &mut AsyncPgConnection,
    object_id: &str,
    kind: &str,
    up: bool,
) -> QueryResult<usize> {
    let target = ap_objects::table.find(object_id);
    match (kind == "Like", up) {
        (true, true) => {
            diesel::update(target)
                .set(ap_objects::likes.eq(ap_objects::likes + 1))
                .execute(conn)
                .await
        }
        (true, false) => {
            diesel::update(target.filter(ap_objects::likes.gt(0)))
                .set(ap_objects::likes.eq(ap_objects::likes - 1))
                .execute(conn)
                .await
        }
        (false, true) => {
            diesel::update(target)
                .set(ap_objects::announces.eq(ap_objects::announces + 1))
                .execute(conn)
                .await
        }
        (false, false) => {
            diesel::update(target.filter(ap_objects::announces.gt(0)))
                .set(ap_objects::announces.eq(ap_objects::announces - 1))
                .execute(conn)
                .await
        }
    }
}

/// Records `actor`'s Like or Announce of `object_id` once; the object's counter moves only when
/// it is new. Returns whether it was new.
pub async fn add_reaction(
    conn: &mut AsyncPgConnection,
    actor: &str,
    object_id: &str,
    kind: &str,
    activity_id: &str,
) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let added = diesel::insert_into(ap_reactions::table)
            .values((
                ap_reactions::actor.eq(actor),
                ap_reactions::object_id.eq(object_id),
                ap_reactions::kind.eq(kind),
                ap_reactions::activity_id.eq(activity_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
            > 0;
        if added {
            bump_reaction_count(conn, object_id, kind, true).await?;
        }
        Ok(added)
    })
    .await
}

/// Which reaction an Undo names: by what it was about, or by the Like/Announce's own id.
pub enum ReactionRef<'a> {
    Of { object_id: &'a str, kind: &'a str },
    Activity(&'a str),
}

/// Removes `actor`'s reaction (only theirs) and moves the counter back. Returns whether one went.
pub async fn remove_reaction(
    conn: &mut AsyncPgConnection,
    actor: &str,
    which: ReactionRef<'_>,
) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let mine = ap_reactions::table.filter(ap_reactions::actor.eq(actor));
        let removed: Option<(String, String)> = match which {
            ReactionRef::Of { object_id, kind } => {
                diesel::delete(
                    mine.filter(ap_reactions::object_id.eq(object_id))
                        .filter(ap_reactions::kind.eq(kind)),
                )
                .returning((ap_reactions::object_id, ap_reactions::kind))
                .get_result(conn)
                .await
            }
            ReactionRef::Activity(id) => {
                diesel::delete(mine.filter(ap_reactions::activity_id.eq(id)))
                    .returning((ap_reactions::object_id, ap_reactions::kind))
                    .get_result(conn)
                    .await
            }
        }
        .optional()?;
        if let Some((object_id, kind)) = &removed {
            bump_reaction_count(conn, object_id, kind, false).await?;
        }
        Ok(removed.is_some())
    })
    .await
}
