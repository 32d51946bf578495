//! Account: newsletters (double opt-in through the real mail, preferences, one-click
//! unsubscribe), DKIM-signed mail, campaigns (editor, sending, archive), the dashboard's
//! orders, a member's data export and deleting an account.

mod bounces;
mod campaigns;
mod data_export;
mod deletion;
pub mod dkim;
mod from_post;
mod newsletters;
mod orders;
