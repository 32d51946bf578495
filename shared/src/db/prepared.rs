//! Keeping fixed-text raw queries prepared.
//!
//! Diesel never caches the prepared statement of a `sql_query` (its text might be built from
//! input without bound), so each call costs a second round trip and a fresh plan. A query whose
//! text is fixed (or one of a few) is safe to cache: wrap it in [`Prepared`] and the connection
//! keeps its statement, keyed by the SQL text. Measured on the job queue: half the enqueue
//! throughput was the re-preparing.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Untyped;

/// A raw query whose prepared statement the connection keeps. Only for queries whose text comes
/// from a small fixed set: each distinct text is one cached statement.
pub struct Prepared<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Prepared<Q> {
    type SqlType = Untyped;
}
