//! The organisers' forms as they arrive (strings), and their parsing into what is stored:
//! local dates and times read on the event's own IANA zone and kept in UTC, a recurrence rule
//! that matches its first date, and every field checked, so bad input is a clear 400 and
//! nothing is saved.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use shared::infrastructure::slug;

use super::EventsError;
use super::recurrence::{self, Freq, Rule};
use crate::db::events::EventFields;

/// First path segments the app's own routes take (an event slug may not be one of them).
pub const RESERVED: &[&str] = &["new"];
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
pub const MAX_TAGS: usize = 12;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EventForm {
    pub calendar: String,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub location: String,
    pub address: String,
    pub online_url: String,
    pub image_url: String,
    /// `YYYY-MM-DD` on the event's clock.
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`, empty for open-ended; before the start means the next day.
    pub end_time: String,
    pub time_zone: String,
    pub capacity: String,
    /// `on`: each booking waits for an organiser's approval.
    pub approval: String,
    pub status: String,
    pub visibility: String,
    pub tags: String,
    /// `none`, `weekly`, `monthly` (on the date's n-th weekday) or `monthly-last`.
    pub repeat: String,
    pub interval: String,
    /// `YYYY-MM-DD`: the last day a date may fall on.
    pub until: String,
    pub count: String,
}

/// One date edited on its own.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DateForm {
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    pub title: String,
    pub location: String,
    /// Empty: as the event; `confirmed`, `tentative` or `cancelled`.
    pub status: String,
    /// `on`: take the date out of the series.
    pub removed: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CalendarForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    /// Usernames, comma-separated.
    pub organisers: String,
}

fn invalid(why: impl Into<String>) -> EventsError {
    EventsError::Invalid(why.into())
}

/// An IANA time zone (re-exported so callers need no zone crate of their own).
pub type Zone = Tz;

pub fn parse_zone(name: &str) -> Result<Tz, EventsError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(chrono_tz::Europe::London);
    }
    name.parse()
        .map_err(|_unknown| invalid(format!("“{name}” is not a time zone (try Europe/London).")))
}

fn parse_date(s: &str, what: &str) -> Result<NaiveDate, EventsError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_bad| invalid(format!("The {what} must be a date (YYYY-MM-DD).")))
        .and_then(|d| {
            if (1900..=2200).contains(&d.year()) {
                Ok(d)
            } else {
                Err(invalid(format!("The {what} is out of range.")))
            }
        })
}

fn parse_time(s: &str, what: &str) -> Result<NaiveTime, EventsError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_bad| invalid(format!("The {what} must be a time (HH:MM).")))
}

/// A date's times: the start on the event's wall clock, and start and end in UTC.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    pub first_local: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Start and end in UTC from a local date, times and zone (an end before the start is the
/// next day; an empty end leaves the event open-ended).
pub fn times(tz: Tz, date: &str, start: &str, end: &str) -> Result<Times, EventsError> {
    let date = parse_date(date, "date")?;
    let start_local = date.and_time(parse_time(start, "start time")?);
    let starts_at = recurrence::local_to_utc(tz, start_local);
    let ends_at = if end.trim().is_empty() {
        None
    } else {
        let end_time = parse_time(end, "end time")?;
        let end_date = if end_time <= start_local.time() {
            date.succ_opt()
                .ok_or_else(|| invalid("The end is out of range."))?
        } else {
            date
        };
        Some(recurrence::local_to_utc(tz, end_date.and_time(end_time)))
    };
    Ok(Times {
        first_local: start_local,
        starts_at,
        ends_at,
    })
}

fn optional_url(s: &str, what: &str, allow_path: bool) -> Result<Option<String>, EventsError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if allow_path && s.starts_with('/') && !s.starts_with("//") {
        return Ok(Some(s.to_owned()));
    }
    shared::activitypub::sanitize::web_url(s)
        .map(Some)
        .ok_or_else(|| invalid(format!("The {what} must be an http(s) address.")))
}

fn one_of(s: &str, allowed: &[&str], default: &str, what: &str) -> Result<String, EventsError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(default.to_owned());
    }
    allowed
        .iter()
        .find(|a| **a == s)
        .map(|a| (*a).to_owned())
        .ok_or_else(|| invalid(format!("The {what} must be one of {}.", allowed.join(", "))))
}

fn bounded_int(s: &str, what: &str, min: i32, max: i32) -> Result<Option<i32>, EventsError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(invalid(format!(
            "The {what} must be a whole number from {min} to {max}."
        ))),
    }
}

/// Tags as typed: comma-separated, trimmed, lower-cased, no duplicates.
pub fn parse_tags(s: &str) -> Result<Vec<String>, EventsError> {
    let mut tags: Vec<String> = Vec::new();
    for t in s.split(',') {
        let t = t.trim().to_lowercase();
        if t.is_empty() || tags.contains(&t) {
            continue;
        }
        if t.chars().count() > 40 || t.chars().any(char::is_control) {
            return Err(invalid("A tag is at most 40 characters."));
        }
        tags.push(t);
    }
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("At most {MAX_TAGS} tags.")));
    }
    Ok(tags)
}

fn text(s: &str, what: &str, max: usize, required: bool) -> Result<String, EventsError> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(invalid(format!("The {what} is required.")));
    }
    if s.chars().count() > max {
        return Err(invalid(format!("The {what} is at most {max} characters.")));
    }
    Ok(s.to_owned())
}

/// A checked event: its fields to store and, for a series, its rule.
#[derive(Debug, Clone)]
pub struct EventInput {
    pub fields: EventFields,
    pub rule: Option<Rule>,
    pub tz: Tz,
    pub first_local: NaiveDateTime,
}

impl EventForm {
    /// The stored fields (`calendar_id` resolved by the caller).
    pub fn parse(&self, calendar_id: i64) -> Result<EventInput, EventsError> {
        let title = text(&self.title, "title", MAX_TITLE, true)?;
        let slug = if self.slug.trim().is_empty() {
            slug::slugify(&title, RESERVED)
        } else {
            let s = self.slug.trim().to_owned();
            slug::validate(&s, RESERVED).map_err(|e| invalid(format!("Address: {e}.")))?;
            s
        };
        let description = text(&self.description, "description", MAX_DESCRIPTION, false)?;
        let tz = parse_zone(&self.time_zone)?;
        let Times {
            first_local,
            starts_at,
            ends_at,
        } = times(tz, &self.date, &self.start_time, &self.end_time)?;
        let status = one_of(
            &self.status,
            &["confirmed", "tentative", "cancelled"],
            "confirmed",
            "status",
        )?;
        let visibility = one_of(
            &self.visibility,
            &["public", "unlisted"],
            "public",
            "visibility",
        )?;
        let capacity = bounded_int(&self.capacity, "capacity", 1, 100_000)?;
        let interval = bounded_int(&self.interval, "interval", 1, 12)?.unwrap_or(1);
        let count = bounded_int(&self.count, "number of dates", 1, 1000)?;
        let until = if self.until.trim().is_empty() {
            None
        } else {
            let day = parse_date(&self.until, "last date")?;
            let end_of_day = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .ok_or_else(|| invalid("The last date is out of range."))?;
            let until = recurrence::local_to_utc(tz, end_of_day) - chrono::Duration::seconds(1);
            if until < starts_at {
                return Err(invalid("The last date is before the first."));
            }
            Some(until)
        };
        let repeat = one_of(
            &self.repeat,
            &["none", "weekly", "monthly", "monthly-last"],
            "none",
            "repetition",
        )?;
        let (n, is_last) = recurrence::ordinal_of(first_local.date());
        let freq = match repeat.as_str() {
            "weekly" => Some(Freq::Weekly),
            "monthly" if n <= 4 => Some(Freq::Monthly { ordinal: n }),
            "monthly" => {
                return Err(invalid(
                    "That date is a fifth weekday of its month: choose “last” instead.",
                ));
            }
            "monthly-last" if is_last => Some(Freq::Monthly { ordinal: -1 }),
            "monthly-last" => {
                return Err(invalid(
                    "The first date must be the last such weekday of its month.",
                ));
            }
            _ => None,
        };
        if freq.is_none() && (count.is_some() || until.is_some()) {
            return Err(invalid(
                "A last date or number of dates needs a repetition.",
            ));
        }
        if count.is_some() && until.is_some() {
            return Err(invalid("Give a last date or a number of dates, not both."));
        }
        let rule = freq.map(|freq| Rule {
            freq,
            interval: interval.unsigned_abs(),
            until,
            count: count.map(i32::unsigned_abs),
        });
        let fields = EventFields {
            calendar_id,
            slug,
            title,
            description,
            location: text(&self.location, "place", 200, false)?,
            place_address: text(&self.address, "address", 500, false)?,
            online_url: optional_url(&self.online_url, "online link", false)?,
            image_url: optional_url(&self.image_url, "image address", true)?,
            starts_at,
            ends_at,
            time_zone: tz.name().to_owned(),
            capacity,
            status,
            visibility,
            tags: parse_tags(&self.tags)?,
            repeat_freq: rule.map(|r| match r.freq {
                Freq::Weekly => "weekly".to_owned(),
                Freq::Monthly { .. } => "monthly".to_owned(),
            }),
            repeat_interval: if rule.is_some() { interval } else { 1 },
            repeat_ordinal: rule.and_then(|r| match r.freq {
                Freq::Monthly { ordinal } => Some(i16::from(ordinal)),
                Freq::Weekly => None,
            }),
            repeat_until: until,
            repeat_count: count,
            approval_required: !self.approval.trim().is_empty(),
        };
        Ok(EventInput {
            fields,
            rule,
            tz,
            first_local,
        })
    }
}

impl CalendarForm {
    pub fn checked(&self) -> Result<(String, String, String, Vec<String>), EventsError> {
        let name = text(&self.name, "name", 200, true)?;
        let slug = if self.slug.trim().is_empty() {
            slug::slugify(&name, &[])
        } else {
            let s = self.slug.trim().to_owned();
            slug::validate(&s, &[]).map_err(|e| invalid(format!("Address: {e}.")))?;
            s
        };
        let description = text(&self.description, "description", MAX_DESCRIPTION, false)?;
        let organisers = self
            .organisers
            .split(',')
            .map(|s| s.trim().trim_start_matches('@').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        Ok((name, slug, description, organisers))
    }
}

/// The rule an event row stores, if it is a series.
pub fn rule_of(event: &shared::models::events::Event) -> Option<Rule> {
    let freq = match (event.repeat_freq.as_deref(), event.repeat_ordinal) {
        (Some("weekly"), _) => Freq::Weekly,
        (Some("monthly"), Some(o)) => Freq::Monthly {
            ordinal: i8::try_from(o).ok()?,
        },
        _ => return None,
    };
    Some(Rule {
        freq,
        interval: event.repeat_interval.max(1).unsigned_abs(),
        until: event.repeat_until,
        count: event.repeat_count.map(i32::unsigned_abs),
    })
}

/// The event's zone (UTC if the stored name is not one chrono-tz knows).
pub fn zone_of(event: &shared::models::events::Event) -> Tz {
    event.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> EventForm {
        EventForm {
            title: "Saturday market".into(),
            date: "2026-12-05".into(),
            start_time: "09:00".into(),
            end_time: "13:00".into(),
            time_zone: "Europe/London".into(),
            ..EventForm::default()
        }
    }

    #[test]
    fn a_plain_event_in_london_winter() {
        let input = form().parse(1).unwrap();
        assert_eq!(input.fields.slug, "saturday-market");
        assert_eq!(
            input.fields.starts_at.to_rfc3339(),
            "2026-12-05T09:00:00+00:00"
        );
        assert_eq!(
            input.fields.ends_at.unwrap().to_rfc3339(),
            "2026-12-05T13:00:00+00:00"
        );
        assert!(input.rule.is_none());
        assert_eq!(input.fields.status, "confirmed");
    }

    #[test]
    fn a_first_saturday_series_and_bad_input() {
        let mut f = form();
        f.repeat = "monthly".into();
        f.count = "6".into();
        let input = f.parse(1).unwrap();
        assert_eq!(input.rule.unwrap().freq, Freq::Monthly { ordinal: 1 });
        for (field, value) in [
            ("time_zone", "Mars/Olympus"),
            ("date", "5 December"),
            ("start_time", "25:00"),
            ("capacity", "0"),
            ("status", "maybe"),
            ("online_url", "javascript:alert(1)"),
            ("slug", "Bad Slug"),
            ("repeat", "monthly-last"),
        ] {
            let mut f = form();
            match field {
                "time_zone" => f.time_zone = value.into(),
                "date" => f.date = value.into(),
                "start_time" => f.start_time = value.into(),
                "capacity" => f.capacity = value.into(),
                "status" => f.status = value.into(),
                "online_url" => f.online_url = value.into(),
                "slug" => f.slug = value.into(),
                _ => f.repeat = value.into(),
            }
            assert!(
                matches!(f.parse(1), Err(EventsError::Invalid(_))),
                "{field}={value}"
            );
        }
    }

    #[test]
    fn an_end_before_the_start_is_the_next_morning() {
        let mut f = form();
        f.start_time = "22:00".into();
        f.end_time = "02:00".into();
        let input = f.parse(1).unwrap();
        assert_eq!(
            input.fields.ends_at.unwrap().to_rfc3339(),
            "2026-12-06T02:00:00+00:00"
        );
    }
}
