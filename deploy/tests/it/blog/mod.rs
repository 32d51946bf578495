//! The blog: writing and publishing, Ghost sync, and the editor in a real browser.

mod editor_browser;
mod ghost;
mod ghost_admin;
mod ghost_cards;
mod ghost_converge;
mod ghost_scheduled;
mod ghost_tags;
mod member_pages;
mod writing;
