//! Events: the calendar pages.

mod pages;
