//! Free bookings: a member takes a place at one date in one click (capacity enforced in the
//! booking's transaction, see `db::bookings`), joins the waitlist when every place is taken
//! (promoted in order, in the transaction of the cancellation that frees a place), or waits
//! for an organiser's approval on a restricted event; guests book with a name and an address
//! and hold nothing until they confirm through a mailed link; organisers see who comes and
//! export it as CSV. Members' bookings are theirs to carry in a calendar through a private
//! feed whose address is signed and can be reset.

use chrono::{Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::config::Config;
use shared::crypto;
use shared::db::DbPool;
use shared::infrastructure::mail::SendMail;
use shared::models::events::{self as rows, Event, MemberBooking, Occurrence};

use super::{Actor, EventsError};
use crate::db::bookings::{self, Booked};
pub use crate::db::bookings::{Attendee, Placed};
use crate::db::{events as event_rows, occurrences};
use crate::jobs;

/// How many bookings a member's page and feed list.
const MEMBER_LIMIT: i64 = 500;
/// Hex digits of the feed address's MAC (128 bits).
const MAC_HEX: usize = 32;

/// Signs and checks the private bookings-feed addresses: `<user>-<generation>-<mac>`, an HMAC
/// under a key derived from the fleet secret. Resetting the address bumps the generation, so
/// the old address stops working.
pub struct FeedSigner {
    key: Vec<u8>,
}

impl FeedSigner {
    pub fn new(secret: &[u8]) -> Result<Self, crypto::CryptoError> {
        Ok(FeedSigner {
            key: crypto::hmac_sha256(secret, b"rose-ash events bookings feed v1")?,
        })
    }

    fn mac(&self, user_id: i64, generation: i32) -> Result<String, crypto::CryptoError> {
        let mac = crypto::hmac_sha256(&self.key, format!("{user_id}:{generation}").as_bytes())?;
        let mut hex = hex::encode(mac);
        hex.truncate(MAC_HEX);
        Ok(hex)
    }

    pub fn token(&self, user_id: i64, generation: i32) -> Result<String, crypto::CryptoError> {
        Ok(format!(
            "{user_id}-{generation}-{}",
            self.mac(user_id, generation)?
        ))
    }

    /// The (user, generation) a token is signed for, if it is.
    pub fn verify(&self, token: &str) -> Result<Option<(i64, i32)>, crypto::CryptoError> {
        let mut parts = token.splitn(3, '-');
        let (Some(user), Some(generation), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let (Ok(user), Ok(generation)) = (user.parse::<i64>(), generation.parse::<i32>()) else {
            return Ok(None);
        };
        let expected = self.mac(user, generation)?;
        Ok(
            crypto::constant_time_eq(expected.as_bytes(), mac.as_bytes())
                .then_some((user, generation)),
        )
    }
}

pub struct BookingDesk<'a> {
    pub(super) pool: &'a DbPool,
}

impl<'a> BookingDesk<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        BookingDesk { pool }
    }

    /// The event and one of its dates.
    pub async fn date_of(&self, slug: &str, id: i64) -> Result<(Event, Occurrence), EventsError> {
        self.date(slug, id).await
    }

    async fn date(&self, slug: &str, id: i64) -> Result<(Event, Occurrence), EventsError> {
        let mut conn = self.pool.get().await?;
        let event = event_rows::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchEvent)?;
        let date = occurrences::by_id(&mut conn, event.id, id)
            .await?
            .ok_or(EventsError::NoSuchDate)?;
        Ok((event, date))
    }

    /// Books the member at the date: a place while there is one, else the waitlist, or
    /// "pending" for an event that approves its bookings; booking twice is the same booking.
    /// A new place comes with its reminder job, in the same transaction.
    pub async fn book(
        &self,
        actor: Actor,
        slug: &str,
        id: i64,
    ) -> Result<(Event, Placed), EventsError> {
        let (event, date) = self.date(slug, id).await?;
        if is_past(&date) {
            return Err(EventsError::NotOpen);
        }
        let mut conn = self.pool.get().await?;
        let starts_at = date.starts_at;
        let result = conn
            .transaction::<Booked, EventsError, _>(async |conn| {
                let booked = bookings::book(conn, date.id, actor.id).await?;
                if let Booked::New(booking, Placed::Booked) = booked {
                    jobs::schedule_reminder(conn, booking, starts_at, Utc::now()).await?;
                }
                Ok(booked)
            })
            .await;
        let booked = match result {
            // The same member's second request raced the first past the check: theirs stands.
            Err(EventsError::Db(e)) if bookings::is_unique_violation(&e) => {
                bookings::already(&mut conn, date.id, actor.id).await?
            }
            other => other?,
        };
        match booked {
            Booked::New(_, placed) => Ok((event, placed)),
            Booked::Already(_, status) => Ok((event, placed_of(&status))),
            Booked::NotOpen => Err(EventsError::NotOpen),
        }
    }

    /// Gives the member's place back (or leaves the waitlist, or withdraws a request; nothing
    /// happens if they had none). A place given back goes to the first on the waitlist in the
    /// same transaction, who is mailed (through the mail queue) and gets a reminder job.
    pub async fn cancel(
        &self,
        actor: Actor,
        slug: &str,
        id: i64,
        config: &Config,
    ) -> Result<Event, EventsError> {
        let (event, date) = self.date(slug, id).await?;
        let mut conn = self.pool.get().await?;
        conn.transaction::<(), EventsError, _>(async |conn| {
            if bookings::cancel(conn, date.id, actor.id).await?.as_deref() == Some("booked") {
                promote(conn, config, &event, &date).await?;
            }
            Ok(())
        })
        .await?;
        Ok(event)
    }

    /// A guest's booking request: held as `unconfirmed` (no place) and a confirmation link
    /// mailed (its token stored only as a digest, working once, for [`GUEST_LINK_TTL`]). The
    /// answer is the same whatever the address.
    pub async fn request_as_guest(
        &self,
        slug: &str,
        id: i64,
        form: &GuestForm,
        site: &str,
    ) -> Result<Event, EventsError> {
        let name = form.name.trim();
        let email = form.email.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(EventsError::Invalid(
                "Give your name (up to 200 characters).".into(),
            ));
        }
        if !shared::contracts::email::is_valid(&email) {
            return Err(EventsError::Invalid(
                "That is not an e-mail address.".into(),
            ));
        }
        let (event, date) = self.date(slug, id).await?;
        if is_past(&date) || !date_open(&event, &date) {
            return Err(EventsError::NotOpen);
        }
        let token = crypto::random_token()?;
        let cancel = super::guest_cancel::cancel_token(&token)?;
        let link = format!("{site}/bookings/confirm/{token}");
        let mail = SendMail {
            to: email.clone(),
            subject: format!("Confirm your booking: {}", date.title(&event)),
            body: format!(
                "Someone, probably you, asked to book a place for {name} at\n\n  {what}\n\n\
                 To confirm, open this link and press the button on the page:\n\n{link}\n\n\
                 The link works once, for 24 hours. Until you confirm, no place is held. If you \
                 did not ask for this, ignore this message.\n\n\
                 If you cannot come after all, this link cancels your booking (keep this \
                 message):\n\n{site}/bookings/cancel/{cancel}\n",
                what = describe(&event, &date),
            ),
        };
        let mut conn = self.pool.get().await?;
        let expires = Utc::now() + GUEST_LINK_TTL;
        let digest = crypto::token_digest(&token);
        let cancel_digest = crypto::token_digest(&cancel);
        conn.transaction::<(), EventsError, _>(async |conn| {
            // Caps the mail anyone can make us send to a stranger's address.
            if bookings::recent_guest_requests(conn, &email, GUEST_WINDOW).await? >= GUEST_REQUESTS
            {
                return Err(EventsError::TooMany);
            }
            bookings::insert_guest(
                conn,
                date.id,
                name,
                &email,
                &digest,
                &cancel_digest,
                expires,
            )
            .await?;
            shared::jobs::enqueue(conn, &mail).await?;
            Ok(())
        })
        .await?;
        Ok(event)
    }

    /// What a guest's confirmation page shows before the button is pressed (nothing changes).
    pub async fn guest_claim(&self, token: &str) -> Result<(Event, Occurrence), EventsError> {
        let mut conn = self.pool.get().await?;
        let claim = bookings::guest_by_digest(&mut conn, &crypto::token_digest(token), false)
            .await?
            .ok_or(EventsError::LinkInvalid)?;
        check_claim(&claim)?;
        self.date_by_id(&mut conn, claim.occurrence_id).await
    }

    /// Confirms a guest's booking (once): from then on it is like a member's (a place, the
    /// waitlist or "pending"), decided under the date's lock.
    pub async fn confirm_guest(
        &self,
        token: &str,
    ) -> Result<(Event, Occurrence, Placed), EventsError> {
        let mut conn = self.pool.get().await?;
        let digest = crypto::token_digest(token);
        let (occurrence_id, placed) = conn
            .transaction::<(i64, Placed), EventsError, _>(async |conn| {
                let claim = bookings::guest_by_digest(conn, &digest, true)
                    .await?
                    .ok_or(EventsError::LinkInvalid)?;
                check_claim(&claim)?;
                let email = claim.email.clone().unwrap_or_default();
                if bookings::guest_live(conn, claim.occurrence_id, &email).await? {
                    // The address holds a booking of this date through another link already.
                    return Err(EventsError::LinkUsed);
                }
                let placed = bookings::place(conn, claim.occurrence_id).await?;
                if placed == Placed::NotOpen {
                    return Err(EventsError::NotOpen);
                }
                bookings::set_status(conn, claim.id, placed, true).await?;
                if placed == Placed::Booked {
                    let starts_at = occurrences::starts_at(conn, claim.occurrence_id).await?;
                    jobs::schedule_reminder(conn, claim.id, starts_at, Utc::now()).await?;
                }
                Ok((claim.occurrence_id, placed))
            })
            .await?;
        let (event, date) = self.date_by_id(&mut conn, occurrence_id).await?;
        Ok((event, date, placed))
    }

    pub(super) async fn date_by_id(
        &self,
        conn: &mut AsyncPgConnection,
        occurrence_id: i64,
    ) -> Result<(Event, Occurrence), EventsError> {
        let date = occurrences::by_plain_id(conn, occurrence_id)
            .await?
            .ok_or(EventsError::NoSuchDate)?;
        let event = event_rows::by_id(conn, date.event_id)
            .await?
            .ok_or(EventsError::NoSuchEvent)?;
        Ok((event, date))
    }

    /// The date's bookings for its organisers (others get [`EventsError::NotOrganiser`]).
    pub async fn attendees(
        &self,
        actor: Actor,
        slug: &str,
        id: i64,
    ) -> Result<(Event, Occurrence, Vec<Attendee>), EventsError> {
        let (event, date) = super::Organiser::new(self.pool)
            .editable_date(slug, id, actor)
            .await?;
        let mut conn = self.pool.get().await?;
        let rows = bookings::attendees_of(&mut conn, date.id).await?;
        Ok((event, date, rows))
    }

    /// An organiser approves (within capacity: else [`EventsError::Full`], nothing changed) or
    /// rejects a pending booking; the member or guest is mailed in the same transaction.
    pub async fn decide(
        &self,
        actor: Actor,
        slug: &str,
        id: i64,
        booking: i64,
        approve: bool,
        config: &Config,
    ) -> Result<Event, EventsError> {
        let site = site_of(config);
        let (event, date) = super::Organiser::new(self.pool)
            .editable_date(slug, id, actor)
            .await?;
        let mut conn = self.pool.get().await?;
        conn.transaction::<(), EventsError, _>(async |conn| {
            match bookings::decide(conn, date.id, booking, actor.id, approve).await? {
                None => return Err(EventsError::NoSuchBooking),
                Some(false) => return Err(EventsError::Full),
                Some(true) => {}
            }
            let who = bookings::attendee(conn, booking)
                .await?
                .ok_or(EventsError::NoSuchBooking)?;
            // A remote participant is answered over ActivityPub (they have no address).
            if super::federate::answer_waiting(conn, config, event.id, &who, approve).await? {
                return Ok(());
            }
            let what = describe(&event, &date);
            let link = format!("{site}/events/{}", event.slug);
            let mail = if approve {
                jobs::schedule_reminder(conn, booking, date.starts_at, Utc::now()).await?;
                SendMail {
                    to: who.email.clone(),
                    subject: format!("Your booking is approved: {}", date.title(&event)),
                    body: format!(
                        "Hello {name},\n\nthe organisers approved your booking. You have a \
                         place at\n\n  {what}\n\n{link}\n",
                        name = who.name
                    ),
                }
            } else {
                SendMail {
                    to: who.email.clone(),
                    subject: format!("Your booking was not accepted: {}", date.title(&event)),
                    body: format!(
                        "Hello {name},\n\nthe organisers could not accept your booking for\n\n  \
                         {what}\n\n{link}\n",
                        name = who.name
                    ),
                }
            };
            shared::jobs::enqueue(conn, &mail).await?;
            Ok(())
        })
        .await?;
        Ok(event)
    }

    /// The member's bookings (upcoming only, or all).
    pub async fn of(
        &self,
        user_id: i64,
        upcoming: bool,
    ) -> Result<Vec<MemberBooking>, EventsError> {
        let mut conn = self.pool.get().await?;
        let since = upcoming.then(Utc::now);
        Ok(rows::bookings_of(&mut conn, user_id, since, MEMBER_LIMIT).await?)
    }

    /// The member's current feed token.
    pub async fn feed_token(
        &self,
        signer: &FeedSigner,
        user_id: i64,
    ) -> Result<String, EventsError> {
        let mut conn = self.pool.get().await?;
        let generation = bookings::feed_generation(&mut conn, user_id).await?;
        Ok(signer.token(user_id, generation)?)
    }

    /// A new feed address; the old one stops working.
    pub async fn reset_feed(
        &self,
        signer: &FeedSigner,
        user_id: i64,
    ) -> Result<String, EventsError> {
        let mut conn = self.pool.get().await?;
        let generation = bookings::reset_feed(&mut conn, user_id).await?;
        Ok(signer.token(user_id, generation)?)
    }

    /// Whose bookings a feed token opens, if it is signed and current.
    pub async fn feed_owner(
        &self,
        signer: &FeedSigner,
        token: &str,
    ) -> Result<Option<i64>, EventsError> {
        let Some((user_id, generation)) = signer.verify(token)? else {
            return Ok(None);
        };
        let mut conn = self.pool.get().await?;
        let current = bookings::feed_generation(&mut conn, user_id).await?;
        Ok((current == generation).then_some(user_id))
    }
}

/// Guest booking requests (each mails a link) one address may receive in [`GUEST_WINDOW`].
pub const GUEST_REQUESTS: i64 = 5;
pub const GUEST_WINDOW: Duration = Duration::minutes(15);
/// Guest booking requests one client IP may make in [`GUEST_WINDOW`], whatever the addresses
/// (so one client cannot mail five links to each of any number of strangers).
pub const GUEST_REQUESTS_PER_IP: u32 = 20;

/// The rate-limit key of guest booking requests from a client IP.
pub fn guest_ip_key(ip: &str) -> String {
    format!("events-guest-booking:ip:{ip}")
}

/// How long a guest's confirmation link works.
pub const GUEST_LINK_TTL: Duration = Duration::hours(24);

/// A guest's booking form: a name and an address to confirm from.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct GuestForm {
    pub name: String,
    pub email: String,
}

pub(super) fn is_past(date: &Occurrence) -> bool {
    date.ends_at.unwrap_or(date.starts_at) < Utc::now()
}

fn date_open(event: &Event, date: &Occurrence) -> bool {
    !date.removed && event.status != "cancelled" && date.status.as_deref() != Some("cancelled")
}

fn placed_of(status: &str) -> Placed {
    match status {
        "booked" => Placed::Booked,
        "waitlisted" => Placed::Waitlisted,
        "pending" => Placed::Pending,
        _ => Placed::NotOpen,
    }
}

fn check_claim(claim: &bookings::GuestClaim) -> Result<(), EventsError> {
    if claim.status != "unconfirmed" {
        return Err(EventsError::LinkUsed);
    }
    if claim.expires_at.is_none_or(|e| e <= Utc::now()) {
        return Err(EventsError::LinkExpired);
    }
    Ok(())
}

/// "Title, Saturday 8 May 2027, 10:00 (Europe/London), place" for mails.
pub fn describe(event: &Event, date: &Occurrence) -> String {
    let tz = super::form::zone_of(event);
    let when = date
        .starts_at
        .with_timezone(&tz)
        .format("%A %e %B %Y, %H:%M")
        .to_string()
        .replace("  ", " ");
    let place = date.location(event);
    let mut out = format!("{}, {when} ({})", date.title(event), event.time_zone);
    if !place.is_empty() {
        out.push_str(", ");
        out.push_str(place);
    }
    out
}

/// Withdraws every live booking of a former member (places, waitlist spots, pending requests)
/// in the caller's transaction, as their own cancellations would: each place given back goes to
/// the date's waitlist in order, and whoever is promoted is mailed. Dates are taken in id order
/// (each locked first, as every booking change locks it). How many bookings were withdrawn.
pub async fn withdraw_member(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    config: &Config,
) -> Result<usize, EventsError> {
    let dates = bookings::live_dates_of(conn, user_id).await?;
    let mut withdrawn = 0;
    for occurrence_id in dates {
        let Some(status) = bookings::cancel(conn, occurrence_id, user_id).await? else {
            continue;
        };
        withdrawn += 1;
        if status != "booked" {
            continue;
        }
        let Some(date) = occurrences::by_plain_id(conn, occurrence_id).await? else {
            continue;
        };
        if let Some(event) = event_rows::by_id(conn, date.event_id).await? {
            promote(conn, config, &event, &date).await?;
        }
    }
    Ok(withdrawn)
}

/// The events app's public address, without a trailing slash (links in mails).
pub(crate) fn site_of(config: &Config) -> String {
    config
        .apps
        .public(shared::AppName::Events)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// Gives places freed at the date to the waitlist in order, in the caller's transaction: each
/// promoted member or guest is mailed through the mail queue and gets a reminder job; a
/// promoted remote participant gets `@events`' Accept of their Join.
pub(crate) async fn promote(
    conn: &mut AsyncPgConnection,
    config: &Config,
    event: &Event,
    date: &Occurrence,
) -> Result<Vec<i64>, EventsError> {
    let site = site_of(config);
    let promoted = bookings::promote(conn, date.id).await?;
    let now = Utc::now();
    for &id in &promoted {
        let Some(who) = bookings::attendee(conn, id).await? else {
            continue;
        };
        if super::federate::answer_waiting(conn, config, event.id, &who, true).await? {
            continue;
        }
        let mail = SendMail {
            to: who.email.clone(),
            subject: format!("A place for you: {}", date.title(event)),
            body: format!(
                "Hello {name},\n\na place came free and it is yours: you were first on the \
                 waitlist for\n\n  {what}\n\nIf you cannot come after all, please give the place \
                 back so the next person gets it: {how}\n",
                name = who.name,
                what = describe(event, date),
                how = give_back_hint(&who, &site, &event.slug),
            ),
        };
        shared::jobs::enqueue(conn, &mail).await?;
        jobs::schedule_reminder(conn, id, date.starts_at, now).await?;
    }
    Ok(promoted)
}

/// How a member or guest gives a place back, for the end of a mail: members on the event's
/// page; guests, who cannot sign in there, through their cancel link (whose token we do not
/// keep, so the mail points to the one they were sent).
pub fn give_back_hint(who: &Attendee, site: &str, slug: &str) -> String {
    if who.user_id.is_some() {
        format!("on the event's page,\n\n{site}/events/{slug}")
    } else {
        "open the cancel link in the mail that confirmed your booking.".to_owned()
    }
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes
/// doubled; and a cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
/// or a tab or carriage return, which some spreadsheets skip before one) is prefixed with `'`
/// (OWASP's advice against CSV injection), so a guest named `=HYPERLINK(…)` stays text.
pub fn csv_cell(value: &str) -> String {
    let mut cell = String::with_capacity(value.len() + 2);
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.push('\'');
    }
    cell.push_str(value);
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// The organiser's export of a date's bookings: a header line, then one line per booking as
/// the attendee list orders them (CRLF line ends, as RFC 4180 and spreadsheets expect).
pub fn attendees_csv(rows: &[Attendee]) -> String {
    let mut out = String::from("name,email,kind,status,booked_at\r\n");
    for a in rows {
        let cells = [
            csv_cell(&a.name),
            // A remote participant has no address: their actor id stands in its column.
            csv_cell(a.remote_actor.as_deref().unwrap_or(&a.email)),
            csv_cell(if a.user_id.is_some() {
                "member"
            } else if a.remote_actor.is_some() {
                "fediverse"
            } else {
                "guest"
            }),
            csv_cell(&a.status),
            csv_cell(
                &a.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_tokens_verify_only_as_signed() {
        let s = FeedSigner::new(b"secret").unwrap();
        let t = s.token(42, 3).unwrap();
        assert_eq!(s.verify(&t).unwrap(), Some((42, 3)));
        let other = FeedSigner::new(b"other").unwrap();
        assert_eq!(other.verify(&t).unwrap(), None);
        let forged = t.replacen("42-", "43-", 1);
        assert_eq!(s.verify(&forged).unwrap(), None);
        for junk in ["", "x", "1-2", "a-b-c", "1-2-", "-1-2-3"] {
            assert_eq!(s.verify(junk).unwrap(), None, "{junk}");
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("Ann"), "Ann");
        assert_eq!(csv_cell("Smith, Ann"), "\"Smith, Ann\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+44 1234"), "'+44 1234");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\t=1"), "'\t=1");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\",\"a,b\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"a,b\"\")\""
        );
        assert_eq!(csv_cell("a=b"), "a=b");
    }
}
