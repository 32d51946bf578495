//! Account: newsletters (double opt-in through the real mail, preferences, one-click
//! unsubscribe), DKIM-signed mail, and campaigns (editor, sending, archive).

mod campaigns;
pub mod dkim;
mod newsletters;
mod orders;
