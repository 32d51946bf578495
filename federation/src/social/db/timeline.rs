//! Timelines and threads. Every query filters by what the viewer may see (see [`VISIBLE`]) and
//! by the viewer's blocks and mutes, pages by keyset on `seq` (older than a cursor), and returns
//! the same row shape: the entry's place, who boosted it (if it is a boost) and the post.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::db::prepared::Prepared;

/// Who may see a post (`$1` is the viewer's actor id, '' when signed out): public and unlisted
/// posts anyone; followers-only posts their author and the author's accepted followers;
/// direct posts their author and those they address.
const VISIBLE: &str = "(o.visibility IN ('public', 'unlisted') OR o.attributed_to = $1 \
     OR ($1 <> '' AND $1 = ANY(o.recipients)) \
     OR (o.visibility = 'followers' AND $1 <> '' AND EXISTS (SELECT 1 FROM ap_following f \
         WHERE f.local_actor = $1 AND f.remote_actor = o.attributed_to AND f.state = 'accepted')))";

/// Hidden authors and boosters (`$2`: LIKE patterns of blocked or muted actors and domains).
const NOT_HIDDEN: &str = "NOT (o.attributed_to LIKE ANY($2))";

const COLUMNS: &str = "e.seq, e.boosted_by, o.seq AS object_seq, o.id, o.kind, o.attributed_to, \
     o.local, o.name, o.summary, o.content, o.url, o.in_reply_to, o.published, o.updated, \
     o.likes, o.announces, o.payload, o.deleted_at, o.created_at, o.visibility, \
     EXISTS (SELECT 1 FROM ap_reactions l WHERE l.actor = $1 AND l.object_id = o.id AND l.kind = 'Like') AS liked, \
     EXISTS (SELECT 1 FROM ap_reactions b WHERE b.actor = $1 AND b.object_id = o.id AND b.kind = 'Announce') AS boosted, \
     (SELECT count(*) FROM ap_objects r WHERE r.in_reply_to = o.id AND r.deleted_at IS NULL) AS replies";

/// One timeline entry: a post, or someone's boost of one.
#[derive(Debug, Clone, QueryableByName)]
pub struct Entry {
    /// The entry's place in the timeline (the boost's, for a boost).
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub boosted_by: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub object_seq: i64,
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub attributed_to: String,
    #[diesel(sql_type = Bool)]
    pub local: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub summary: Option<String>,
    #[diesel(sql_type = Text)]
    pub content: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub in_reply_to: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub updated: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub likes: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub announces: i32,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub payload: Value,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub deleted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub visibility: String,
    #[diesel(sql_type = Bool)]
    pub liked: bool,
    #[diesel(sql_type = Bool)]
    pub boosted: bool,
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
}

/// Which posts a timeline shows.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The viewer's home: posts and boosts by whom they follow (the `social_home` table the
    /// database fills as they arrive), and their own.
    Home,
    /// Posts and boosts by one actor (a profile).
    Profile(&'a str),
    /// Public posts of the fleet's members and apps.
    Local,
    /// Every public post we store.
    Federated,
    /// Public posts with this hashtag (lower case, no '#').
    Tag(&'a str),
}

/// Entries older than `$3`, at most `$4`, of an actor's own posts (`$5`) and boosts.
fn by_actor_sql() -> String {
    format!(
        "(SELECT o.seq, o.id AS object_id, NULL::text AS boosted_by FROM ap_objects o \
          WHERE o.attributed_to = $5 AND o.seq < $3 AND o.deleted_at IS NULL \
            AND {VISIBLE} AND {NOT_HIDDEN} ORDER BY o.seq DESC LIMIT $4) \
         UNION ALL \
         (SELECT r.seq, r.object_id, r.actor FROM ap_reactions r \
            JOIN ap_objects o ON o.id = r.object_id \
          WHERE r.kind = 'Announce' AND r.actor = $5 AND r.seq < $3 \
            AND o.deleted_at IS NULL AND o.visibility IN ('public', 'unlisted') \
            AND {NOT_HIDDEN} AND NOT (r.actor LIKE ANY($2)) \
          ORDER BY r.seq DESC LIMIT $4)"
    )
}

/// A page of a timeline, newest first, older than `before` (all when `None`).
///
/// Each source's text is fixed, so its statement stays prepared on the connection: planning
/// these queries cost more than running them.
pub async fn page(
    conn: &mut AsyncPgConnection,
    viewer: &str,
    hidden: &[String],
    source: Source<'_>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let before = before.unwrap_or(i64::MAX);
    let (entries, extra) = match source {
        // $5 is the viewer: their own posts and boosts join what the database fanned out.
        Source::Home => (
            format!(
                "(SELECT h.seq, h.object_id, h.boosted_by FROM social_home h \
                   JOIN ap_objects o ON o.id = h.object_id \
                 WHERE h.owner = $1 AND h.seq < $3 AND o.deleted_at IS NULL \
                   AND {VISIBLE} AND {NOT_HIDDEN} \
                   AND (h.boosted_by IS NULL OR (o.visibility IN ('public', 'unlisted') \
                        AND NOT (h.boosted_by LIKE ANY($2)))) \
                 ORDER BY h.seq DESC LIMIT $4) \
                 UNION ALL {}",
                by_actor_sql()
            ),
            viewer,
        ),
        Source::Profile(actor) => (by_actor_sql(), actor),
        Source::Local | Source::Federated | Source::Tag(_) => {
            let filter = match source {
                Source::Local => "o.local AND o.visibility = 'public' AND $5 = $5",
                Source::Tag(_) => "o.visibility = 'public' AND $5 = ANY(o.hashtags)",
                _ => "o.visibility = 'public' AND $5 = $5",
            };
            (
                format!(
                    "SELECT o.seq, o.id AS object_id, NULL::text AS boosted_by \
                       FROM ap_objects o WHERE {filter} AND o.seq < $3 AND o.deleted_at IS NULL \
                         AND {NOT_HIDDEN} ORDER BY o.seq DESC LIMIT $4"
                ),
                match source {
                    Source::Tag(t) => t,
                    _ => "",
                },
            )
        }
    };
    let sql = format!(
        "WITH e AS ({entries}) SELECT {COLUMNS} FROM e JOIN ap_objects o ON o.id = e.object_id \
         ORDER BY e.seq DESC LIMIT $4"
    );
    Prepared(
        diesel::sql_query(sql)
            .bind::<Text, _>(viewer)
            .bind::<Array<Text>, _>(hidden)
            .bind::<BigInt, _>(before)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(extra),
    )
    .load(conn)
    .await
}

/// One post by its place, if the viewer may see it.
pub async fn post(
    conn: &mut AsyncPgConnection,
    viewer: &str,
    seq: i64,
) -> QueryResult<Option<Entry>> {
    let sql = format!(
        "WITH e AS (SELECT o.seq, o.id AS object_id, NULL::text AS boosted_by FROM ap_objects o \
           WHERE o.seq = $2) \
         SELECT {COLUMNS} FROM e JOIN ap_objects o ON o.id = e.object_id WHERE {VISIBLE}"
    );
    Prepared(
        diesel::sql_query(sql)
            .bind::<Text, _>(viewer)
            .bind::<BigInt, _>(seq),
    )
    .get_result(conn)
    .await
    .optional_row()
}

/// The posts a post replies to, oldest first, and the replies under it (depth first by time),
/// each only if the viewer may see it.
pub async fn thread(
    conn: &mut AsyncPgConnection,
    viewer: &str,
    hidden: &[String],
    focus: &str,
) -> QueryResult<(Vec<Entry>, Vec<Entry>)> {
    let ancestors = format!(
        "WITH RECURSIVE up(object_id, depth) AS ( \
           SELECT in_reply_to, 1 FROM ap_objects WHERE id = $3 AND in_reply_to IS NOT NULL \
           UNION ALL \
           SELECT o.in_reply_to, up.depth + 1 FROM up JOIN ap_objects o ON o.id = up.object_id \
           WHERE o.in_reply_to IS NOT NULL AND up.depth < 40), \
         e AS (SELECT o.seq, up.object_id, NULL::text AS boosted_by, up.depth FROM up \
           JOIN ap_objects o ON o.id = up.object_id) \
         SELECT {COLUMNS} FROM e JOIN ap_objects o ON o.id = e.object_id \
         WHERE {VISIBLE} AND {NOT_HIDDEN} ORDER BY e.depth DESC"
    );
    let descendants = format!(
        "WITH RECURSIVE down(object_id, depth) AS ( \
           SELECT id, 1 FROM ap_objects WHERE in_reply_to = $3 \
           UNION ALL \
           SELECT o.id, down.depth + 1 FROM down JOIN ap_objects o ON o.in_reply_to = down.object_id \
           WHERE down.depth < 40), \
         e AS (SELECT o.seq, down.object_id, NULL::text AS boosted_by FROM down \
           JOIN ap_objects o ON o.id = down.object_id) \
         SELECT {COLUMNS} FROM e JOIN ap_objects o ON o.id = e.object_id \
         WHERE o.deleted_at IS NULL AND {VISIBLE} AND {NOT_HIDDEN} ORDER BY o.seq LIMIT 300"
    );
    let up = Prepared(
        diesel::sql_query(ancestors)
            .bind::<Text, _>(viewer)
            .bind::<Array<Text>, _>(hidden)
            .bind::<Text, _>(focus),
    )
    .load(conn)
    .await?;
    let down = Prepared(
        diesel::sql_query(descendants)
            .bind::<Text, _>(viewer)
            .bind::<Array<Text>, _>(hidden)
            .bind::<Text, _>(focus),
    )
    .load(conn)
    .await?;
    Ok((up, down))
}

/// The place (`seq`) of a stored object.
pub async fn seq_of(conn: &mut AsyncPgConnection, object_id: &str) -> QueryResult<Option<i64>> {
    use diesel::{OptionalExtension, QueryDsl};
    use shared::db::schema::ap_objects;
    ap_objects::table
        .find(object_id)
        .select(ap_objects::seq)
        .first(conn)
        .await
        .optional()
}

/// A fresh place for a post we are about to write (its id names it).
pub async fn next_seq(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let next: Next = diesel::sql_query("SELECT nextval('social_seq') AS seq")
        .get_result(conn)
        .await?;
    Ok(next.seq)
}

trait OptionalRow<T> {
    fn optional_row(self) -> QueryResult<Option<T>>;
}

impl<T> OptionalRow<T> for QueryResult<T> {
    fn optional_row(self) -> QueryResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(diesel::result::Error::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `LIKE` patterns that match an actor id exactly, or every actor on a domain.
pub fn hidden_patterns(actors: &[String], domains: &[String]) -> Vec<String> {
    fn escape(s: &str) -> String {
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    }
    actors
        .iter()
        .map(|a| escape(a))
        .chain(domains.iter().map(|d| format!("%://{}/%", escape(d))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_patterns_escape_like_wildcards() {
        let p = hidden_patterns(
            &["https://a.example/users/x_y%".to_owned()],
            &["bad.example".to_owned()],
        );
        assert_eq!(p[0], "https://a.example/users/x\\_y\\%");
        assert_eq!(p[1], "%://bad.example/%");
    }
}
