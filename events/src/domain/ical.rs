//! RFC 5545 text: content lines ended by CRLF and folded at 75 octets (never inside a UTF-8
//! character), TEXT values escaped (`\\`, `;`, `,`, newlines), and a `VTIMEZONE` built from the
//! IANA data for the years a feed covers, so clients need not know the zone by name.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// Longest content line, in octets, before it is folded (RFC 5545 §3.1).
const FOLD_AT: usize = 75;

/// A calendar object being written.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Writer {
            out: String::with_capacity(4096),
        }
    }

    /// A content line whose value is already in its RFC 5545 form (dates, numbers, RRULEs).
    pub fn raw(&mut self, name: &str, value: &str) {
        let line = format!("{name}:{value}");
        fold_into(&mut self.out, &line);
    }

    /// A TEXT property, escaped.
    pub fn text(&mut self, name: &str, value: &str) {
        self.raw(name, &escape(value));
    }

    pub fn begin(&mut self, component: &str) {
        self.raw("BEGIN", component);
    }

    pub fn end(&mut self, component: &str) {
        self.raw("END", component);
    }

    /// A UTC date-time (`…Z`).
    pub fn utc(&mut self, name: &str, at: DateTime<Utc>) {
        self.raw(name, &utc_value(at));
    }

    /// A date-time on the wall clock of `tz` (`NAME;TZID=zone:local`).
    pub fn zoned(&mut self, name: &str, tz: Tz, at: DateTime<Utc>) {
        self.raw(&format!("{name};TZID={}", tz.name()), &local_value(tz, at));
    }

    pub fn finish(self) -> String {
        self.out
    }
}

pub fn utc_value(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn local_value(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

/// TEXT escaping (RFC 5545 §3.3.11); other control characters are dropped.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` with CRLF, folded so that no physical line exceeds 75 octets: each
/// continuation starts with one space, and a character is never split.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > FOLD_AT {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// `±HHMM` (or `±HHMMSS`) for an offset in seconds east of UTC.
fn offset_value(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

struct Observance {
    /// The first instant the new offset applies.
    at: DateTime<Utc>,
    from: i32,
    to: i32,
    daylight: bool,
    name: String,
}

fn offset_at(tz: Tz, at: DateTime<Utc>) -> (i32, bool, String) {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    (
        offset.fix().local_minus_utc(),
        !offset.dst_offset().is_zero(),
        offset.abbreviation().unwrap_or("").to_owned(),
    )
}

/// Offset changes of `tz` between the two instants: days are stepped, and a day whose offset
/// changed is searched to the second.
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Observance> {
    let mut found = Vec::new();
    let mut day = from;
    let mut before = offset_at(tz, day);
    while day < to {
        let next = day + Duration::days(1);
        let after = offset_at(tz, next);
        if after.0 != before.0 || after.1 != before.1 {
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid).0 == before.0 && offset_at(tz, mid).1 == before.1 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            found.push(Observance {
                at: hi,
                from: before.0,
                to: after.0,
                daylight: after.1,
                name: after.2.clone(),
            });
        }
        before = after;
        day = next;
    }
    found
}

/// A `VTIMEZONE` for `tz` valid from 1 January `from_year` to the end of `to_year`: the
/// observance in force on the first day, then each change in those years.
pub fn vtimezone(w: &mut Writer, tz: Tz, from_year: i32, to_year: i32) {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or_else(Utc::now);
    let end = NaiveDate::from_ymd_opt(to_year.max(from_year) + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(start);
    let (offset, daylight, name) = offset_at(tz, start);
    w.begin("VTIMEZONE");
    w.raw("TZID", tz.name());
    let first = Observance {
        at: start,
        from: offset,
        to: offset,
        daylight,
        name,
    };
    for o in std::iter::once(first).chain(transitions(tz, start, end)) {
        let kind = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
        w.begin(kind);
        // DTSTART is the local time just before the change, on the old offset's clock.
        let local: NaiveDateTime = o.at.naive_utc() + Duration::seconds(i64::from(o.from));
        w.raw("DTSTART", &local.format("%Y%m%dT%H%M%S").to_string());
        w.raw("TZOFFSETFROM", &offset_value(o.from));
        w.raw("TZOFFSETTO", &offset_value(o.to));
        if !o.name.is_empty() && !o.name.starts_with(['+', '-']) {
            w.text("TZNAME", &o.name);
        }
        w.end(kind);
    }
    w.end("VTIMEZONE");
}

/// The years a zone's definition must cover for these instants (and the next two years, so an
/// open-ended series stays right for a while after the feed is fetched).
pub fn years(instants: impl Iterator<Item = DateTime<Utc>>, now: DateTime<Utc>) -> (i32, i32) {
    let (mut lo, mut hi) = (now.year(), now.year() + 2);
    for t in instants {
        lo = lo.min(t.year());
        hi = hi.max(t.year());
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a;b,c\\d\r\ne\nf\u{7}"),
            "a\\;b\\,c\\\\d\\ne\\nf".to_owned()
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut w = Writer::new();
        let title = "Wassail — ".repeat(20);
        w.text("SUMMARY", &title);
        let out = w.finish();
        assert!(out.ends_with("\r\n"));
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{title}\r\n"));
    }

    #[test]
    fn london_changes_twice_a_year() {
        let tz: Tz = "Europe/London".parse().unwrap();
        let mut w = Writer::new();
        vtimezone(&mut w, tz, 2026, 2026);
        let out = w.finish();
        assert!(out.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nEND:DAYLIGHT"), "{out}");
        assert!(out.contains("BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nEND:STANDARD"), "{out}");
        assert_eq!(out.matches("BEGIN:DAYLIGHT").count(), 1);
        assert_eq!(out.matches("BEGIN:STANDARD").count(), 2);
    }

    #[test]
    fn offsets_are_signed_hours_and_minutes() {
        assert_eq!(offset_value(3600), "+0100");
        assert_eq!(offset_value(-12600), "-0330");
        assert_eq!(offset_value(0), "+0000");
    }
}
