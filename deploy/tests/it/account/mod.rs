//! Account: newsletters (double opt-in through the real mail, preferences, one-click
//! unsubscribe).

mod newsletters;
