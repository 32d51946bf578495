//! The blog's own queries and writes, one file per table or concern. Only the blog writes its
//! tables (posts, tags, menus, settings, replies, the Ghost link), so the writes live here and the
//! compiler keeps other apps out; a change here recompiles the blog alone. The row types and the
//! reads other apps need (the navigation menu behind the `Navigation` contract) stay in
//! `shared::models::blog`; `db/` calls those rather than copying them.

pub mod authors;
pub mod comments;
pub mod ghost;
pub mod meta;
pub mod navigation;
pub mod posts;
pub mod settings;
pub mod slugs;
pub mod tags;

/// A PostgreSQL connection: `AsyncPgConnection`, or a shared `&AsyncPgConnection`, through
/// which several independent reads are pipelined (sent together, answered in order).
pub trait PgConn: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send {}
impl<C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send> PgConn for C {}
