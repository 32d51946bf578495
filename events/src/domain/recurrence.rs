//! Recurrence: which dates a series has. The rules are the RFC 5545 subset people use for
//! meetings and markets: weekly on the first date's weekday, or monthly on its n-th (or last)
//! weekday ("first Saturday"), every `interval` weeks or months, until a moment or for a count.
//!
//! Instances are computed on the wall clock of the event's zone and only then turned into UTC,
//! so a 09:00 class stays at 09:00 across a summer-time change. A wall-clock time that does not
//! exist (the spring gap) is read with the offset before the gap, and one that happens twice (the
//! autumn fold) is the first, as RFC 5545 §3.3.5 and Python's zoneinfo (fold=0) both do.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Utc, Weekday,
};
use chrono_tz::Tz;

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Weekly,
    /// On the n-th (1–4) or last (-1) weekday of the month.
    Monthly {
        ordinal: i8,
    },
}

/// A series' rule: the first instance is the series' start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    /// No instance starts after this moment.
    pub until: Option<DateTime<Utc>>,
    /// At most this many instances, the first included.
    pub count: Option<u32>,
}

/// Never expand more than this many instances of one series in one call (a guard against
/// open-ended series asked for a long window).
pub const MAX_INSTANCES: usize = 1000;

/// The UTC instant of a wall-clock time in `tz` (gap: offset before it; fold: the first).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset in force just before the gap (a day earlier is safely before it).
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix();
            (local - Duration::seconds(i64::from(before.local_minus_utc()))).and_utc()
        }
    }
}

/// The `n`-th (1-based; -1 the last) `weekday` of `year`-`month`, if the month has one.
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: i8) -> Option<NaiveDate> {
    if n > 0 {
        let n = u8::try_from(n).ok()?;
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
    } else {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let last = first_next.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        Some(last - Duration::days(i64::from(back)))
    }
}

/// Which weekday of its month `date` is: (n-th from the start, whether it is the last).
pub fn ordinal_of(date: NaiveDate) -> (i8, bool) {
    let n = (date.day0() / 7 + 1) as i8;
    let last = date
        .checked_add_signed(Duration::days(7))
        .is_none_or(|next| next.month() != date.month());
    (n, last)
}

/// The series' instances (UTC starts) from its first, `first_local` on `tz`'s wall clock,
/// that start in `[from, to)`, in order, honouring until and count.
pub fn instances(
    tz: Tz,
    first_local: NaiveDateTime,
    rule: &Rule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let time = first_local.time();
    let first_date = first_local.date();
    let weekday = first_date.weekday();
    let interval = rule.interval.max(1);
    let mut counted: u32 = 0;
    // Monthly rules may find no such weekday in a month (a fifth); those months are skipped,
    // so the loop is bounded by steps rather than instances.
    for step in 0u32..(MAX_INSTANCES as u32 * 2) {
        let date = match rule.freq {
            Freq::Weekly => first_date
                .checked_add_signed(Duration::weeks(i64::from(step.saturating_mul(interval)))),
            Freq::Monthly { ordinal } => first_date
                .with_day(1)
                .and_then(|d| d.checked_add_months(Months::new(step.saturating_mul(interval))))
                .and_then(|m| nth_weekday(m.year(), m.month(), weekday, ordinal)),
        };
        let Some(date) = date else {
            if matches!(rule.freq, Freq::Weekly) {
                break;
            }
            continue;
        };
        if date < first_date {
            continue;
        }
        let start = local_to_utc(tz, date.and_time(time));
        if rule.until.is_some_and(|u| start > u) || start >= to {
            break;
        }
        counted += 1;
        if rule.count.is_some_and(|c| counted > c) {
            break;
        }
        if start >= from {
            out.push(start);
            if out.len() >= MAX_INSTANCES {
                break;
            }
        }
    }
    out
}

/// The RFC 5545 RRULE value of `rule` for a series starting on `first_local`.
pub fn rrule(rule: &Rule, first_local: NaiveDateTime) -> String {
    let day = weekday_code(first_local.date().weekday());
    let mut out = match rule.freq {
        Freq::Weekly => format!("FREQ=WEEKLY;BYDAY={day}"),
        Freq::Monthly { ordinal } => format!("FREQ=MONTHLY;BYDAY={ordinal}{day}"),
    };
    if rule.interval > 1 {
        out.push_str(&format!(";INTERVAL={}", rule.interval));
    }
    if let Some(count) = rule.count {
        out.push_str(&format!(";COUNT={count}"));
    } else if let Some(until) = rule.until {
        out.push_str(&format!(";UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
    }
    out
}

fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// A rule in words, for the event page ("Every week on Saturday", "First Saturday of the month").
pub fn describe(rule: &Rule, first_local: NaiveDateTime) -> String {
    let day = first_local.date().format("%A").to_string();
    let mut out = match (rule.freq, rule.interval) {
        (Freq::Weekly, 1) => format!("Every {day}"),
        (Freq::Weekly, n) => format!("Every {n} weeks on {day}"),
        (Freq::Monthly { ordinal }, n) => {
            let which = match ordinal {
                1 => "First",
                2 => "Second",
                3 => "Third",
                4 => "Fourth",
                _ => "Last",
            };
            if n == 1 {
                format!("{which} {day} of the month")
            } else {
                format!("{which} {day} of every {n} months")
            }
        }
    };
    if let Some(count) = rule.count {
        out.push_str(&format!(", {count} times"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> Tz {
        "Europe/London".parse().unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    #[test]
    fn a_weekly_class_keeps_its_wall_clock_time_across_the_october_change() {
        let rule = Rule {
            freq: Freq::Weekly,
            interval: 1,
            until: None,
            count: Some(4),
        };
        let got = instances(
            london(),
            local("2026-10-17 09:00"),
            &rule,
            utc("2026-01-01 00:00"),
            utc("2027-01-01 00:00"),
        );
        assert_eq!(
            got,
            vec![
                utc("2026-10-17 08:00"),
                utc("2026-10-24 08:00"),
                // 25 October 2026: the clocks go back; 09:00 GMT is 09:00 UTC.
                utc("2026-10-31 09:00"),
                utc("2026-11-07 09:00"),
            ]
        );
    }

    #[test]
    fn first_and_last_saturdays() {
        let first = Rule {
            freq: Freq::Monthly { ordinal: 1 },
            interval: 1,
            until: Some(utc("2027-03-31 00:00")),
            count: None,
        };
        let got = instances(
            london(),
            local("2026-12-05 10:00"),
            &first,
            utc("2026-01-01 00:00"),
            utc("2028-01-01 00:00"),
        );
        let dates: Vec<String> = got.iter().map(|d| d.format("%F").to_string()).collect();
        assert_eq!(
            dates,
            ["2026-12-05", "2027-01-02", "2027-02-06", "2027-03-06"]
        );
        assert_eq!(
            nth_weekday(2026, 2, Weekday::Sat, -1),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            nth_weekday(2026, 5, Weekday::Sun, -1),
            NaiveDate::from_ymd_opt(2026, 5, 31)
        );
        assert_eq!(
            ordinal_of(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()),
            (5, true)
        );
        assert_eq!(
            ordinal_of(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()),
            (1, false)
        );
    }

    #[test]
    fn the_window_does_not_change_the_count() {
        let rule = Rule {
            freq: Freq::Weekly,
            interval: 2,
            until: None,
            count: Some(3),
        };
        let got = instances(
            london(),
            local("2026-01-05 18:00"),
            &rule,
            utc("2026-01-10 00:00"),
            utc("2027-01-01 00:00"),
        );
        assert_eq!(got, vec![utc("2026-01-19 18:00"), utc("2026-02-02 18:00")]);
    }

    #[test]
    fn times_in_the_gap_and_the_fold() {
        // 29 March 2026 01:30 does not exist in London: read with GMT, it is 02:30 BST.
        assert_eq!(
            local_to_utc(london(), local("2026-03-29 01:30")),
            utc("2026-03-29 01:30")
        );
        // 25 October 2026 01:30 happens twice: the first (BST) is 00:30 UTC.
        assert_eq!(
            local_to_utc(london(), local("2026-10-25 01:30")),
            utc("2026-10-25 00:30")
        );
    }

    #[test]
    fn rrules_as_rfc_5545_writes_them() {
        let rule = Rule {
            freq: Freq::Monthly { ordinal: -1 },
            interval: 2,
            until: Some(utc("2027-06-30 23:00")),
            count: None,
        };
        assert_eq!(
            rrule(&rule, local("2026-12-26 10:00")),
            "FREQ=MONTHLY;BYDAY=-1SA;INTERVAL=2;UNTIL=20270630T230000Z"
        );
        assert_eq!(
            describe(&rule, local("2026-12-26 10:00")),
            "Last Saturday of every 2 months"
        );
    }
}
