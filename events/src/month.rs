//! The month grid (`/month` and the `calendar-month` fragment): the month's dates and the
//! filters' choices, kept per process by (month, filter) in [`crate::answers::Kept`], and the
//! grid's HTML written here rather than by a template — a busy month is a couple of hundred
//! dates, and each one through Tera cost a serialised map, lookups and a time-zone parse.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use shared::infrastructure::templates::escape_html;

use crate::answers::{Kept, Weigh};
use crate::domain::form::zone_of;
use crate::domain::{Listed, Listing, MonthGrid};
use crate::views::CalendarRef;

/// Most months kept, and their bytes in all.
const MAX_MONTHS: usize = 256;
const MAX_BYTES: usize = 32 * 1024 * 1024;

pub type Months = Kept<Month>;

pub fn kept() -> Months {
    Kept::new(MAX_MONTHS, MAX_BYTES)
}

/// The key of a month under a filter, as the domain reads the filter (trimmed, tag lowercased).
pub fn key(first: NaiveDate, listing: &Listing) -> String {
    format!(
        "{first}\n{}\n{}\n{}",
        listing.calendar.trim(),
        listing.tag.trim().to_lowercase(),
        listing.place.trim()
    )
}

/// One date as its cell shows it.
struct GridDate {
    slug: String,
    title: String,
    status: String,
    /// RFC 3339, for `<time datetime>`.
    starts_at: String,
    /// `HH:MM` on the event's own clock.
    time: String,
}

struct GridDay {
    date: NaiveDate,
    in_month: bool,
    dates: Vec<GridDate>,
}

/// A month's weeks (Monday first) with their dates, and the filters' choices.
pub struct Month {
    pub first: NaiveDate,
    weeks: Vec<Vec<GridDay>>,
    pub calendars: Vec<CalendarRef>,
    pub tags: Vec<String>,
    pub places: Vec<String>,
    weight: usize,
}

impl Weigh for Month {
    fn weight(&self) -> usize {
        self.weight
    }
}

impl Month {
    pub fn new(grid: &MonthGrid, listed: Listed) -> Self {
        let mut weight = 0;
        let weeks: Vec<Vec<GridDay>> = grid
            .weeks
            .iter()
            .map(|week| {
                week.iter()
                    .map(|cell| GridDay {
                        date: cell.date,
                        in_month: cell.in_month,
                        dates: cell
                            .dates
                            .iter()
                            .map(|(o, e)| {
                                let date = GridDate {
                                    slug: e.slug.clone(),
                                    title: o.title(e).to_owned(),
                                    status: o.status(e).to_owned(),
                                    starts_at: o.starts_at.to_rfc3339(),
                                    time: o
                                        .starts_at
                                        .with_timezone(&zone_of(e))
                                        .format("%H:%M")
                                        .to_string(),
                                };
                                weight += 64
                                    + date.slug.len()
                                    + date.title.len()
                                    + date.status.len()
                                    + date.starts_at.len()
                                    + date.time.len();
                                date
                            })
                            .collect(),
                    })
                    .collect()
            })
            .collect();
        let calendars: Vec<CalendarRef> = listed.calendars.iter().map(CalendarRef::from).collect();
        weight += calendars
            .iter()
            .map(|c| 48 + c.slug.len() + c.name.len() + c.description.len())
            .sum::<usize>();
        weight += listed
            .tags
            .iter()
            .chain(&listed.places)
            .map(|s| 24 + s.len())
            .sum::<usize>();
        Month {
            first: grid.first,
            weeks,
            calendars,
            tags: listed.tags,
            places: listed.places,
            weight: weight + 42 * 48,
        }
    }

    /// Dates shown (cancelled ones included).
    pub fn dates(&self) -> usize {
        self.weeks.iter().flatten().map(|d| d.dates.len()).sum()
    }

    /// The grid as a `<table>`: `today` marked, each date linking to `events_url` + `events/slug`.
    pub fn grid_html(&self, today: NaiveDate, events_url: &str) -> String {
        let mut out = String::with_capacity(1024 + self.dates() * 200);
        let events_url = escape_html(events_url);
        let label = self.first.format("%B %Y");
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "<table class=\"month-grid\">\n  <caption>{label}</caption>\n  <thead><tr>"
        );
        for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
            let _ = write!(out, "<th scope=\"col\">{d}</th>");
        }
        out.push_str("</tr></thead>\n  <tbody>\n");
        for week in &self.weeks {
            out.push_str("    <tr>\n");
            for day in week {
                let class = match (day.in_month, day.date == today) {
                    (true, false) => "",
                    (true, true) => " today",
                    (false, false) => "other-month",
                    (false, true) => "other-month today",
                };
                let _ = write!(
                    out,
                    "      <td class=\"{class}\"><span class=\"day-number\">{}</span>\n        ",
                    day.date.day()
                );
                for date in &day.dates {
                    let _ = write!(
                        out,
                        "<a class=\"month-event event-{}\" href=\"{events_url}events/{}\"><time datetime=\"{}\">{}</time> {}</a>",
                        escape_html(&date.status),
                        escape_html(&date.slug),
                        date.starts_at,
                        date.time,
                        escape_html(&date.title)
                    );
                }
                out.push_str("\n      </td>\n");
            }
            out.push_str("    </tr>\n");
        }
        out.push_str("  </tbody>\n</table>");
        out
    }
}

/// The month of `first` under `listing`: the kept copy, or read and kept.
pub async fn read(
    db: &shared::db::DbPool,
    months: &Months,
    listing: &Listing,
    first: NaiveDate,
) -> Result<std::sync::Arc<Month>, crate::domain::EventsError> {
    let key = key(first, listing);
    if let Some(month) = months.get(&key) {
        return Ok(month);
    }
    let generation = months.generation();
    let (grid, listed) = crate::domain::Calendar::new(db)
        .month(listing, first)
        .await?;
    Ok(months.put(key, generation, Month::new(&grid, listed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month() -> Month {
        let first = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let day = |d: u32, dates: Vec<GridDate>| GridDay {
            date: NaiveDate::from_ymd_opt(2027, 3, d).unwrap(),
            in_month: true,
            dates,
        };
        let before = GridDay {
            date: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
            in_month: false,
            dates: Vec::new(),
        };
        let date = GridDate {
            slug: "apple-day".into(),
            title: "Apples <script>alert(1)</script> & \"pears\"".into(),
            status: "cancelled".into(),
            starts_at: "2027-03-02T10:00:00+00:00".into(),
            time: "10:00".into(),
        };
        Month {
            first,
            weeks: vec![vec![before, day(1, Vec::new()), day(2, vec![date])]],
            calendars: Vec::new(),
            tags: Vec::new(),
            places: Vec::new(),
            weight: 0,
        }
    }

    #[test]
    fn the_grid_escapes_titles_and_marks_today_and_other_months() {
        let html = month().grid_html(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), "/");
        assert!(html.contains("<caption>March 2027</caption>"));
        assert!(html.contains("<td class=\"other-month\"><span class=\"day-number\">28</span>"));
        assert!(html.contains("<td class=\" today\"><span class=\"day-number\">1</span>"));
        assert!(html.contains(
            "<a class=\"month-event event-cancelled\" href=\"/events/apple-day\">\
             <time datetime=\"2027-03-02T10:00:00+00:00\">10:00</time> \
             Apples &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;pears&quot;</a>"
        ));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn a_filter_is_keyed_as_the_domain_reads_it() {
        let first = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let typed = Listing {
            calendar: " market ".into(),
            tag: "Cider".into(),
            place: String::new(),
        };
        let plain = Listing {
            calendar: "market".into(),
            tag: "cider".into(),
            place: String::new(),
        };
        assert_eq!(key(first, &typed), key(first, &plain));
        assert_ne!(key(first, &plain), key(first, &Listing::default()));
    }
}
