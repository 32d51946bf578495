//! The `PersonalData` contract on the shared database: one source per owning app, each a list
//! of named queries over that app's tables.
//!
//! Every query names its columns (never `*`), so a secret added to a table later stays out of
//! exports until someone decides it belongs there. Each runs with `$1` = the member's id and
//! `$2` = their actor's IRI, and PostgreSQL turns its rows into JSON.

mod account;
mod blog;
mod cart;
mod events;
mod federation;
mod market;

use std::sync::Arc;

use async_trait::async_trait;
use diesel::sql_types::{BigInt, Json, Text};
use diesel_async::RunQueryDsl;

use crate::apps::AppName;
use crate::contracts::personal_data::{DataSection, DataSubject, PersonalData};
use crate::contracts::protocols::ServiceResult;
use crate::db::DbPool;

/// Whether a set is one row (an object, or null without one) or any number (an array).
#[derive(Debug, Clone, Copy)]
enum Shape {
    One,
    Many,
}

/// One named set of a member's rows.
struct Query {
    name: &'static str,
    shape: Shape,
    sql: &'static str,
}

const fn one(name: &'static str, sql: &'static str) -> Query {
    Query {
        name,
        shape: Shape::One,
        sql,
    }
}

const fn many(name: &'static str, sql: &'static str) -> Query {
    Query {
        name,
        shape: Shape::Many,
        sql,
    }
}

#[derive(diesel::QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Json)]
    data: serde_json::Value,
}

/// An app's rows about members, read by its queries.
struct OwnedRows {
    owner: AppName,
    pool: DbPool,
    queries: &'static [Query],
}

impl Query {
    /// The query wrapped so that PostgreSQL answers one JSON value.
    fn as_json(&self) -> String {
        match self.shape {
            Shape::One => format!("SELECT row_to_json(t) AS data FROM ({}) t", self.sql),
            // The inner query's order is kept by the aggregate (it is fed a sorted subquery).
            Shape::Many => format!(
                "SELECT coalesce(json_agg(t), '[]'::json) AS data FROM ({}) t",
                self.sql
            ),
        }
    }
}

#[async_trait]
impl PersonalData for OwnedRows {
    fn owner(&self) -> AppName {
        self.owner
    }

    async fn section(&self, subject: &DataSubject) -> ServiceResult<DataSection> {
        let mut conn = self.pool.get().await?;
        let mut data = serde_json::Map::new();
        for query in self.queries {
            let rows: Vec<JsonRow> = diesel::sql_query(query.as_json())
                .bind::<BigInt, _>(subject.user_id)
                .bind::<Text, _>(&subject.actor)
                .load(&mut conn)
                .await?;
            let value = rows
                .into_iter()
                .next()
                .map_or(serde_json::Value::Null, |r| r.data);
            data.insert(query.name.to_owned(), value);
        }
        Ok(DataSection {
            app: self.owner,
            data,
        })
    }
}

/// Every owning app's source, in the order an export lists them.
pub fn sources(pool: &DbPool) -> Vec<Arc<dyn PersonalData>> {
    [
        (AppName::Federation, federation::QUERIES),
        (AppName::Account, account::QUERIES),
        (AppName::Blog, blog::QUERIES),
        (AppName::Cart, cart::QUERIES),
        (AppName::Events, events::QUERIES),
        (AppName::Market, market::QUERIES),
    ]
    .into_iter()
    .map(|(owner, queries)| {
        Arc::new(OwnedRows {
            owner,
            pool: pool.clone(),
            queries,
        }) as Arc<dyn PersonalData>
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns that hold secrets: no export query may name them.
    const SECRETS: [&str; 9] = [
        "password_hash",
        "totp_secret",
        "code_hash",
        "token_hash",
        "token_digest",
        "access_digest",
        "private_pem",
        "secret_hash",
        // A ticket's secret (`event_tickets.secret`) is its bearer credential.
        ".secret",
    ];

    #[test]
    fn no_query_names_a_secret_or_selects_everything() {
        let all = [
            federation::QUERIES,
            account::QUERIES,
            blog::QUERIES,
            cart::QUERIES,
            events::QUERIES,
            market::QUERIES,
        ];
        for query in all.iter().flat_map(|q| q.iter()) {
            for secret in SECRETS {
                assert!(!query.sql.contains(secret), "{} names {secret}", query.name);
            }
            assert!(!query.sql.contains('*'), "{} selects *", query.name);
        }
    }

    #[test]
    fn a_set_is_one_json_value() {
        let q = many("posts", "SELECT id FROM posts WHERE author_id = $1");
        assert_eq!(
            q.as_json(),
            "SELECT coalesce(json_agg(t), '[]'::json) AS data FROM \
             (SELECT id FROM posts WHERE author_id = $1) t"
        );
        let q = one("me", "SELECT id FROM users WHERE id = $1");
        assert!(q.as_json().starts_with("SELECT row_to_json(t)"));
    }
}
