//! The blog: writing and publishing, Ghost sync, and the editor in a real browser.

mod editor_browser;
mod ghost;
mod writing;
