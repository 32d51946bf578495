//! What crosses apps: composition, contracts, the event bus, jobs, operations and shipping.

mod bad_input;
mod composition;
mod contracts;
mod csrf_csp;
mod event_bus;
mod event_bus_dead_letter;
mod internal;
mod jobs;
mod operations;
mod ops_hardening;
mod shipping;
