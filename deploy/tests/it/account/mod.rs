//! Account: newsletters (double opt-in through the real mail, preferences, one-click
//! unsubscribe), DKIM-signed mail, campaigns (editor, sending, archive), the dashboard's
//! orders, and a member's data export.

mod campaigns;
mod data_export;
pub mod dkim;
mod newsletters;
mod orders;
