//! `deploy`: the Rose Ash operations crate — the in-process dev fleet, migrations, demo content,
//! benchmarks (and, with the shipping issue, image builds and stack deploys).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bench;
pub mod bench_account;
pub mod bench_ap;
pub mod bench_blog;
pub mod bench_cart;
pub mod bench_events;
pub mod bench_jobs;
pub mod bench_market;
pub mod bench_social;
pub mod bench_sso;
pub mod capacity;
pub mod cli;
pub mod dev;
pub mod fleet;
pub mod inbox_sink;
pub mod mail_sink;
pub mod ops;
pub mod seed;
pub mod ship;
pub mod sumup_sim;
