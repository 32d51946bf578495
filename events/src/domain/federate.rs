//! Events as the events actor (`@events`) publishes them to the fediverse: an `Event` as
//! FEP-8a8e describes it (`name`, `startTime`, `endTime`, `location` as a `Place` with its
//! `PostalAddress`, `attributedTo`) with Mobilizon's extensions (`joinMode`,
//! `maximumAttendeeCapacity`, `remainingAttendeeCapacity`, `participantCount`, `timezone`,
//! `isOnline`, `ical:status`), and the date, time and place written into `summary` as well,
//! because Mastodon shows only an Event's name, summary and link.
//!
//! Only public events federate: an unlisted event is "by link only", and Mastodon's unlisted
//! addressing would still put it in every follower's home timeline, so it sends nothing. A new
//! public event sends `Create`, an edit `Update` (with `updated`), a cancellation `Update` with
//! `ical:status` `CANCELLED`, deletion (or turning unlisted) `Delete` with a Tombstone; each
//! recorded in the transactional outbox beside the change, as the market does for products.
//! Booking changes send an `Update` with the new `participantCount`, at most one a minute per
//! event (a job; see `jobs::FederateParticipants`).
//! A series is one Event whose times are its next date's.
//!
//! An event's object id is `/objects/events/{id}`; once deleted, an event published again
//! (unlisted, then public) gets `/objects/events/{id}/r{n}`, as products do.
//!
//! Remote participants: a `Join` of the Event (federation's inbox verified the signing key is
//! the Join's actor and put a [`RemoteJoin`] on the bus) books the actor at the event's next
//! date by the members' rules: a place → `Accept`; the waitlist or an event that approves its
//! bookings → no answer yet (as Mobilizon leaves a participant "not approved"), then `Accept`
//! when promoted or approved, `Reject` when the organiser rejects; an unknown, unlisted,
//! deleted, cancelled or past event → `Reject`. A `Leave` (or `Undo` of the Join) cancels
//! their bookings of the event; the place goes to the waitlist. Answers come from `@events`.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::store::Published;
use shared::activitypub::{AS_CONTEXT, PUBLIC, outbox, sanitize, store};
use shared::config::Config;
use shared::contracts::events::{RemoteJoin, RemoteLeave};
use shared::db::DbPool;
use shared::infrastructure::markdown;
use shared::infrastructure::templates::escape_html;
use shared::models::events::{Event, Occurrence};

use super::EventsError;
use super::form::zone_of;
use crate::db::bookings::{self, Booked, Placed};
use crate::db::{events as event_rows, occurrences};

pub const EVENTS: LocalActor = LocalActor::App(AppName::Events);

/// The JSON-LD context of an activity carrying an Event: ActivityStreams plus the terms
/// Mobilizon defines (schema.org's capacity terms, its own `mz:` ones and iCal's status).
pub fn context() -> Value {
    json!([
        AS_CONTEXT,
        {
            "sc": "http://schema.org#",
            "mz": "https://joinmobilizon.org/ns#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "PostalAddress": "sc:PostalAddress",
            "address": { "@id": "sc:address", "@type": "sc:PostalAddress" },
            "streetAddress": "sc:streetAddress",
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "participantCount": { "@id": "mz:participantCount", "@type": "sc:Integer" },
            "joinMode": { "@id": "mz:joinMode", "@type": "mz:joinModeType" },
            "timezone": { "@id": "mz:timezone", "@type": "sc:Text" },
            "isOnline": { "@id": "mz:isOnline", "@type": "sc:Boolean" },
        }
    ])
}

fn base(config: &Config) -> String {
    shared::activitypub::actors::base(config, AppName::Events)
}

/// The id of an event's first publication.
pub fn first_object_id(config: &Config, event_id: i64) -> String {
    format!("{}/objects/events/{event_id}", base(config))
}

/// The object id a publication of the event uses now (see [`store::current_object_id`]).
pub async fn current_object_id(
    conn: &mut AsyncPgConnection,
    config: &Config,
    event_id: i64,
) -> diesel::QueryResult<String> {
    store::current_object_id(conn, &first_object_id(config, event_id)).await
}

/// The event an object id of ours names (`/objects/events/{id}[/r{n}]`), if it is one.
pub fn event_of_object(config: &Config, object: &str) -> Option<i64> {
    let rest = object.strip_prefix(&format!("{}/objects/events/", base(config)))?;
    let (id, revision) = rest.split_once('/').unwrap_or((rest, ""));
    let revision_ok = revision.is_empty()
        || revision
            .strip_prefix('r')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    (revision_ok && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse().ok())
        .flatten()
}

pub fn event_url(config: &Config, slug: &str) -> String {
    format!("{}/events/{slug}", base(config))
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "Saturday 8 May 2027, 10:00–12:00 (Europe/London)": the date and time as people read
/// them, in the event's own zone.
pub fn when_text(
    event: &Event,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
) -> String {
    let tz = zone_of(event);
    let start = starts_at.with_timezone(&tz);
    let mut out = start
        .format("%A %e %B %Y, %H:%M")
        .to_string()
        .replace("  ", " ");
    if let Some(end) = ends_at.map(|e| e.with_timezone(&tz)) {
        if end.date_naive() == start.date_naive() {
            out.push_str(&end.format("–%H:%M").to_string());
        } else {
            out.push_str(
                &end.format(" – %A %e %B %Y, %H:%M")
                    .to_string()
                    .replace("  ", " "),
            );
        }
    }
    out.push_str(&format!(" ({})", event.time_zone));
    out
}

/// The date the Event describes: the next one, or for an event that is over its last.
async fn federated_date(
    conn: &mut AsyncPgConnection,
    event: &Event,
) -> diesel::QueryResult<Option<Occurrence>> {
    match occurrences::next_of(conn, event.id, Utc::now()).await? {
        Some(date) => Ok(Some(date)),
        None => occurrences::last_of(conn, event.id).await,
    }
}

/// A tag as a hashtag name (no spaces or `#`).
fn hashtag(tag: &str) -> String {
    tag.chars()
        .filter(|c| !c.is_whitespace() && *c != '#')
        .collect()
}

/// The event as an ActivityStreams `Event` under `id`, at `date` (its next date; `None`: the
/// event's own first date); `edited` adds `updated`.
pub fn event_object(
    config: &Config,
    event: &Event,
    date: Option<&Occurrence>,
    id: &str,
    edited: bool,
) -> Value {
    let url = event_url(config, &event.slug);
    let (title, place, starts_at, ends_at) = match date {
        Some(d) => (d.title(event), d.location(event), d.starts_at, d.ends_at),
        None => (
            event.title.as_str(),
            event.location.as_str(),
            event.starts_at,
            event.ends_at,
        ),
    };
    let status = match date {
        Some(d) => d.status(event),
        None => event.status.as_str(),
    };
    let cancelled = status == "cancelled";
    let online = sanitize::web_url(event.online_url.as_deref().unwrap_or(""));
    // What Mastodon shows: the date, time and place, before the link.
    let mut summary = String::new();
    if cancelled {
        summary.push_str("<p><strong>Cancelled.</strong></p>");
    }
    summary.push_str(&format!(
        "<p>{}</p>",
        escape_html(&when_text(event, starts_at, ends_at))
    ));
    let address = event.place_address.trim();
    match (place.trim(), address) {
        ("", "") => {}
        (name, "") | ("", name) => summary.push_str(&format!("<p>{}</p>", escape_html(name))),
        (name, address) => summary.push_str(&format!(
            "<p>{}, {}</p>",
            escape_html(name),
            escape_html(address)
        )),
    }
    if let Some(link) = &online {
        summary.push_str(&format!(
            "<p>Online: <a href=\"{href}\">{href}</a></p>",
            href = escape_html(link)
        ));
    }
    let content = sanitize::html(&markdown::markdown(&event.description));
    let tags: Vec<Value> = event
        .tags
        .iter()
        .map(|t| hashtag(t))
        .filter(|t| !t.is_empty())
        .map(|name| {
            let query = serde_urlencoded::to_string([("tag", name.as_str())]).unwrap_or_default();
            json!({ "type": "Hashtag", "href": format!("{}/?{query}", base(config)), "name": format!("#{name}") })
        })
        .collect();
    let booked = date.map_or(0, |d| d.booked);
    let mut object = json!({
        "id": id,
        "type": "Event",
        "name": escape_html(title),
        "summary": summary,
        "content": content,
        "mediaType": "text/html",
        "url": url,
        "attributedTo": EVENTS.id(config),
        "startTime": time(starts_at),
        "timezone": event.time_zone,
        "published": time(event.created_at),
        "to": [PUBLIC],
        "cc": [EVENTS.followers(config)],
        "tag": tags,
        "ical:status": match status {
            "cancelled" => "CANCELLED",
            "tentative" => "TENTATIVE",
            _ => "CONFIRMED",
        },
        "joinMode": if event.approval_required { "restricted" } else { "free" },
        "participantCount": booked,
        "isOnline": online.is_some() && place.trim().is_empty(),
        "commentsEnabled": false,
    });
    // FEP-8a8e makes endTime mandatory: an event without an end is taken to last an hour.
    let end = ends_at.unwrap_or(starts_at + chrono::Duration::hours(1));
    object["endTime"] = json!(time(end));
    if !place.trim().is_empty() || !address.is_empty() {
        let mut location = json!({
            "type": "Place",
            "name": escape_html(if place.trim().is_empty() { address } else { place.trim() }),
        });
        if !address.is_empty() {
            location["address"] =
                json!({ "type": "PostalAddress", "streetAddress": escape_html(address) });
        }
        object["location"] = location;
    }
    if let Some(capacity) = event.capacity {
        object["maximumAttendeeCapacity"] = json!(capacity);
        object["remainingAttendeeCapacity"] = json!((capacity - booked).max(0));
    }
    if let Some(image) = event.image_url.as_deref().and_then(sanitize::web_url) {
        object["attachment"] = json!([{ "type": "Document", "mediaType": "image/jpeg", "url": image, "name": escape_html(&event.title) }]);
    }
    if edited {
        object["updated"] = json!(time(
            event
                .updated_at
                .max(date.map_or(event.updated_at, |d| d.updated_at))
        ));
    }
    object
}

/// What an event that left the fediverse leaves behind.
pub fn tombstone(id: &str) -> Value {
    json!({
        "id": id,
        "type": "Tombstone",
        "formerType": "Event",
        "deleted": time(Utc::now()),
    })
}

/// Records `kind` of `object` from `@events` in the outbox, addressed to its followers and
/// also to `also_cc`.
async fn emit(
    conn: &mut AsyncPgConnection,
    config: &Config,
    kind: &str,
    object: Value,
    also_cc: &[String],
) -> diesel::QueryResult<()> {
    let mut activity = outbox::activity(config, &EVENTS, kind, object);
    if !also_cc.is_empty()
        && let Some(cc) = activity["cc"].as_array_mut()
    {
        cc.extend(also_cc.iter().map(|p| json!(p)));
    }
    activity["@context"] = context();
    outbox::emit(conn, &activity).await?;
    Ok(())
}

/// Records in the outbox what a change of an event means to `@events`' followers (call inside
/// the transaction of the change, after its dates are written): `before` is whether it was
/// public before (`None`: it is new). Cancelling is an edit like any other (its status).
pub async fn change(
    conn: &mut AsyncPgConnection,
    config: &Config,
    was_public: Option<bool>,
    after: &Event,
) -> diesel::QueryResult<()> {
    change_to(conn, config, was_public, after, &[]).await
}

/// [`change`], with an `Update` addressed also to `participants` (remote actors booked at dates
/// it cancels, who need not follow `@events` to hear of it).
pub async fn change_to(
    conn: &mut AsyncPgConnection,
    config: &Config,
    was_public: Option<bool>,
    after: &Event,
    participants: &[String],
) -> diesel::QueryResult<()> {
    // This activity carries the current count: a participant count waiting to be sent would
    // only repeat it. Dropped first, so a booking committed after this is counted by its own.
    shared::jobs::cancel_pending::<crate::jobs::FederateParticipants>(
        conn,
        &crate::jobs::FederateParticipants::key(after.id),
    )
    .await?;
    let kind = match (was_public == Some(true), after.is_public()) {
        (false, true) => "Create",
        (true, true) => "Update",
        (true, false) => "Delete",
        (false, false) => return Ok(()),
    };
    let id = current_object_id(conn, config, after.id).await?;
    let object = match kind {
        "Delete" => tombstone(&id),
        _ => {
            let date = federated_date(conn, after).await?;
            event_object(config, after, date.as_ref(), &id, kind == "Update")
        }
    };
    let also_cc = if kind == "Update" { participants } else { &[] };
    emit(conn, config, kind, object, also_cc).await
}

/// An `Update` of a public event whose bookings changed: its object as now, with the current
/// `participantCount` and `remainingAttendeeCapacity` (see `jobs::FederateParticipants`).
pub async fn participants(
    conn: &mut AsyncPgConnection,
    config: &Config,
    event: &Event,
) -> diesel::QueryResult<()> {
    if !event.is_public() {
        return Ok(());
    }
    let id = current_object_id(conn, config, event.id).await?;
    let date = federated_date(conn, event).await?;
    let mut object = event_object(config, event, date.as_ref(), &id, true);
    // Newer than any copy the receiver holds, so it takes the new count.
    object["updated"] = json!(time(Utc::now()));
    emit(conn, config, "Update", object, &[]).await
}

/// The `Delete` for a public event about to be deleted (call inside that transaction).
pub async fn deleted(
    conn: &mut AsyncPgConnection,
    config: &Config,
    event: &Event,
) -> diesel::QueryResult<()> {
    if !event.is_public() {
        return Ok(());
    }
    let id = current_object_id(conn, config, event.id).await?;
    emit(conn, config, "Delete", tombstone(&id), &[]).await
}

/// The object at `requested` (an id under `/objects/events/{event_id}`).
pub async fn published(
    pool: &DbPool,
    config: &Config,
    event_id: i64,
    requested: &str,
) -> Result<Published, EventsError> {
    let mut conn = pool.get().await?;
    if store::was_deleted(&mut conn, requested).await? {
        let mut tombstone = json!({ "id": requested, "type": "Tombstone", "formerType": "Event" });
        tombstone["@context"] = json!(AS_CONTEXT);
        return Ok(Published::Gone(tombstone));
    }
    let Some(event) = event_rows::by_id(&mut conn, event_id).await? else {
        return Ok(Published::Missing);
    };
    if !event.is_public() || current_object_id(&mut conn, config, event_id).await? != requested {
        return Ok(Published::Missing);
    }
    let date = federated_date(&mut conn, &event).await?;
    let edited = event.updated_at > event.created_at;
    let mut object = event_object(config, &event, date.as_ref(), requested, edited);
    object["@context"] = context();
    Ok(Published::Live(Box::new(object), event.slug))
}

/// The object id of the public event at page `slug` (where a fediverse server looking the
/// page up is sent); `None` when it does not federate.
pub async fn object_of_page(
    pool: &DbPool,
    config: &Config,
    slug: &str,
) -> Result<Option<String>, EventsError> {
    let mut conn = pool.get().await?;
    match event_rows::by_slug(&mut conn, slug).await? {
        Some(event) if event.is_public() => {
            Ok(Some(current_object_id(&mut conn, config, event.id).await?))
        }
        _ => Ok(None),
    }
}

/// `Accept` or `Reject` of a remote participant's Join of `object`, from `@events`, addressed
/// to them alone (federation delivers it to the Join's actor).
pub fn answer(config: &Config, accepted: bool, join_id: &str, actor: &str, object: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": outbox::activity_id(config, &EVENTS),
        "type": if accepted { "Accept" } else { "Reject" },
        "actor": EVENTS.id(config),
        "to": [actor],
        "object": { "id": join_id, "type": "Join", "actor": actor, "object": object },
    })
}

/// Records the answer to a remote booking that was waiting (promoted from the waitlist, or an
/// organiser's decision), in the caller's transaction. Members and guests are mailed instead.
pub async fn answer_waiting(
    conn: &mut AsyncPgConnection,
    config: &Config,
    event_id: i64,
    who: &bookings::Attendee,
    accepted: bool,
) -> diesel::QueryResult<bool> {
    let (Some(actor), Some(join)) = (&who.remote_actor, &who.remote_join) else {
        return Ok(false);
    };
    let object = current_object_id(conn, config, event_id).await?;
    outbox::emit(conn, &answer(config, accepted, join, actor, &object)).await?;
    Ok(true)
}

/// The longest actor or activity id a booking keeps (`event_bookings` checks it too).
const MAX_ID: usize = 2048;

/// What became of a remote Join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    /// Booked: accepted.
    Accepted,
    /// On the waitlist or awaiting approval: answered later.
    Waiting,
    /// Refused (unknown, unlisted, deleted, cancelled or past event, or a closed date).
    Rejected,
    /// Already handled (the bus delivered it again) or not about one of our events.
    Ignored,
}

/// Why a Join is refused, or the event and date it books.
async fn joinable(
    conn: &mut AsyncPgConnection,
    config: &Config,
    object: &str,
) -> diesel::QueryResult<Option<(Event, Occurrence)>> {
    let Some(event_id) = event_of_object(config, object) else {
        return Ok(None);
    };
    if store::was_deleted(conn, object).await? {
        return Ok(None);
    }
    let Some(event) = event_rows::by_id(conn, event_id).await? else {
        return Ok(None);
    };
    if !event.is_public()
        || event.status == "cancelled"
        || current_object_id(conn, config, event_id).await? != object
    {
        return Ok(None);
    }
    let Some(date) = occurrences::next_of(conn, event_id, Utc::now()).await? else {
        return Ok(None);
    };
    if date.status(&event) == "cancelled" {
        return Ok(None);
    }
    Ok(Some((event, date)))
}

/// A remote `Join` (see the module's notes). Idempotent: the bus may deliver it twice.
pub async fn remote_join(
    pool: &DbPool,
    config: &Config,
    join: &RemoteJoin,
) -> Result<JoinOutcome, EventsError> {
    // Another app's object (or no object of ours at all): not ours to answer.
    if !join.object.starts_with(&format!("{}/", base(config))) {
        return Ok(JoinOutcome::Ignored);
    }
    // Ids longer than a booking keeps (the inbox took them as URLs of up to a megabyte) are
    // dropped rather than left to fail on the table's check again and again.
    if !(8..=MAX_ID).contains(&join.actor.len()) || !(8..=MAX_ID).contains(&join.join_id.len()) {
        tracing::info!(
            actor_len = join.actor.len(),
            "a Join with an outsized id ignored"
        );
        return Ok(JoinOutcome::Ignored);
    }
    let name: String = join
        .actor_name
        .as_deref()
        .map(sanitize::text)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| join.actor.clone())
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let mut conn = pool.get().await?;
    conn.transaction::<JoinOutcome, EventsError, _>(async |conn| {
        let Some((_, date)) = joinable(conn, config, &join.object).await? else {
            let reject = answer(config, false, &join.join_id, &join.actor, &join.object);
            outbox::emit(conn, &reject).await?;
            return Ok(JoinOutcome::Rejected);
        };
        if let Some((_, status, stored)) = bookings::live_remote(conn, date.id, &join.actor).await?
        {
            if stored.as_deref() == Some(join.join_id.as_str()) {
                return Ok(JoinOutcome::Ignored); // delivered again
            }
            // A second Join while they hold a place: say yes again (theirs stands).
            if status == "booked" {
                let accept = answer(config, true, &join.join_id, &join.actor, &join.object);
                outbox::emit(conn, &accept).await?;
                return Ok(JoinOutcome::Accepted);
            }
            return Ok(JoinOutcome::Waiting);
        }
        let outcome =
            match bookings::book_remote(conn, date.id, &join.actor, &name, &join.join_id).await? {
                Booked::New(_, Placed::Booked) => JoinOutcome::Accepted,
                Booked::New(_, Placed::Waitlisted | Placed::Pending) => JoinOutcome::Waiting,
                Booked::Already(_, status) if status == "booked" => JoinOutcome::Accepted,
                Booked::Already(..) => JoinOutcome::Waiting,
                Booked::New(_, Placed::NotOpen) | Booked::NotOpen => JoinOutcome::Rejected,
            };
        match outcome {
            JoinOutcome::Accepted | JoinOutcome::Rejected => {
                let accepted = outcome == JoinOutcome::Accepted;
                let reply = answer(config, accepted, &join.join_id, &join.actor, &join.object);
                outbox::emit(conn, &reply).await?;
            }
            _ => {}
        }
        Ok(outcome)
    })
    .await
}

/// A remote `Leave`: the actor's live bookings of the event are cancelled (their places go to
/// the waitlist, whose promoted are told); nothing happens if they hold none. How many went.
pub async fn remote_leave(
    pool: &DbPool,
    config: &Config,
    leave: &RemoteLeave,
) -> Result<usize, EventsError> {
    let Some(event_id) = event_of_object(config, &leave.object) else {
        return Ok(0);
    };
    let mut conn = pool.get().await?;
    conn.transaction::<usize, EventsError, _>(async |conn| {
        let Some(event) = event_rows::by_id(conn, event_id).await? else {
            return Ok(0);
        };
        let mut left = 0;
        for occurrence_id in bookings::remote_live_dates(conn, event_id, &leave.actor).await? {
            let Some(status) = bookings::cancel_remote(conn, occurrence_id, &leave.actor).await?
            else {
                continue;
            };
            left += 1;
            if status == "booked"
                && let Some(date) = occurrences::by_plain_id(conn, occurrence_id).await?
            {
                super::bookings::promote(conn, config, &event, &date).await?;
            }
        }
        Ok(left)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_name_their_event() {
        let config = Config::from_lookup(|_| None).unwrap();
        let first = first_object_id(&config, 42);
        assert_eq!(event_of_object(&config, &first), Some(42));
        assert_eq!(event_of_object(&config, &format!("{first}/r3")), Some(42));
        for bad in ["/r", "/x", "/r3/4", "/r-1", "x"] {
            assert_eq!(
                event_of_object(&config, &format!("{first}{bad}")),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            event_of_object(&config, "https://elsewhere.example/objects/events/42"),
            None
        );
    }
}
