//! Federated events (issue 14 item 7): the bovine peer (Python's `bovine`, `support::bovine`)
//! finds `@events` by WebFinger and follows it; a public event sends it one signed
//! `Create{Event}` (FEP-8a8e: `name`, `startTime`, `endTime`, a `Place` with its address,
//! Mobilizon's capacity fields) whose `summary` holds the date, time and place (what Mastodon
//! shows); the object dereferences. The peer's signed `Join` books it (a remote participant on
//! the attendee list) and `@events`' `Accept` comes back; a second Join changes nothing; its
//! `Leave` gives the place back. A Join of an unknown object is rejected. An edit sends
//! `Update`, the cancellation an `Update` with `ical:status` `CANCELLED` (a Join then gets
//! `Reject`), the deletion `Delete`, after which the object answers 410. An unlisted event
//! sends nothing. Remote participants go through the members' rules: waitlisted (answered when
//! promoted), pending (answered with the organiser's decision); a past or unlisted event's
//! Join is rejected, and a Join claiming an actor other than the signer is refused at the inbox.
//! A remote participant who does not follow `@events` still gets the cancelling `Update`.
//! Booking changes reach followers as an `Update` with the new `participantCount`, coalesced to
//! one a minute per event (an edit meanwhile carries the count and drops the waiting one).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::db::schema::event_bookings;

use super::{cast, create, dates_of, post};
use crate::support::bovine::Peer;
use crate::support::{TestFleet, eventually};

const AS_JSON: &str = "application/activity+json";

/// The peer as an RSVPing fediverse user of `@events`.
struct Rsvp<'a> {
    peer: &'a Peer,
    events: String,
}

impl Rsvp<'_> {
    /// What the peer took from `@events`, signed by `@events`, of a kind.
    async fn of_kind(&self, kind: &str) -> Vec<Value> {
        self.peer
            .received_where(|r| r["activity"]["type"] == kind)
            .await
            .into_iter()
            .inspect(|r| assert_eq!(r["controller"], self.events.as_str(), "{r}"))
            .map(|r| r["activity"].clone())
            .collect()
    }

    /// The answers of a kind (`Accept`, `Reject`) to one Join.
    async fn answers(&self, kind: &str, join: &str) -> Vec<Value> {
        self.of_kind(kind)
            .await
            .into_iter()
            .filter(|a| a["object"]["id"] == join)
            .collect()
    }

    /// Sends a signed activity of the peer's actor to `@events`; its id and our inbox's status.
    async fn send_as(&self, actor: Option<&str>, kind: &str, object: Value) -> (String, u64) {
        let mut body = json!({ "type": kind, "object": object, "to": self.events });
        if let Some(actor) = actor {
            body["actor"] = json!(actor);
        }
        let sent = self.peer.call("/_send", body).await;
        (
            sent["id"].as_str().unwrap().to_owned(),
            sent["status"].as_u64().unwrap(),
        )
    }

    async fn send(&self, kind: &str, object: Value) -> String {
        let (id, status) = self.send_as(None, kind, object).await;
        assert_eq!(status, 202, "{kind} {id}");
        id
    }

    async fn wait_for(&self, kind: &str, join: &str) -> Value {
        eventually(30, &format!("{kind} of {join}"), || async {
            !self.answers(kind, join).await.is_empty()
        })
        .await;
        self.answers(kind, join).await.remove(0)
    }
}

/// The remote actor's bookings: (status, occurrence).
async fn remote_bookings(t: &TestFleet, actor: &str) -> Vec<(String, i64)> {
    event_bookings::table
        .filter(event_bookings::remote_actor.eq(actor))
        .order(event_bookings::id)
        .select((event_bookings::status, event_bookings::occurrence_id))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_bovine_peer_following_events_hears_of_an_event_and_joins_and_leaves_it() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Events).config().clone();
    let events_id = LocalActor::App(AppName::Events).id(&config);
    let url = t.fleet.url(AppName::Events);
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let followed = peer
        .call(
            "/_follow",
            json!({ "account": format!("acct:events@{host}"), "domain": format!("http://{host}") }),
        )
        .await;
    assert_eq!(
        followed["actor"],
        events_id.as_str(),
        "WebFinger led to @events"
    );
    assert_eq!(followed["status"], 202);
    let follow_id = followed["follow"].as_str().unwrap().to_owned();
    eventually(30, "@events' Accept of the Follow", || async {
        !peer
            .received_where(|r| {
                r["activity"]["type"] == "Accept" && r["activity"]["object"]["id"] == follow_id
            })
            .await
            .is_empty()
    })
    .await;
    let rsvp = Rsvp {
        peer: &peer,
        events: events_id.clone(),
    };
    let c = cast(&t).await;
    // Unlisted: by link only, so nothing federates.
    let r = create(
        &t,
        &c.organiser,
        &[("title", "Quiet meeting"), ("visibility", "unlisted")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Cider <b>pressing</b>"),
            ("slug", "cider-pressing"),
            ("date", "2027-09-18"),
            ("start_time", "10:00"),
            ("end_time", "13:00"),
            ("location", "The barn"),
            ("address", "1 Orchard Lane, Totnes"),
            ("capacity", "2"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    eventually(30, "the Create", || async {
        !rsvp.of_kind("Create").await.is_empty()
    })
    .await;
    let creates = rsvp.of_kind("Create").await;
    assert_eq!(creates.len(), 1, "only the public event: {creates:?}");
    let event = &creates[0]["object"];
    assert_eq!(event["type"], "Event");
    assert_eq!(event["attributedTo"], events_id.as_str());
    assert_eq!(event["name"], "Cider &lt;b&gt;pressing&lt;/b&gt;");
    // Mastodon shows the summary: the date, time and place are in it.
    let summary = event["summary"].as_str().unwrap();
    assert!(
        summary.contains("Saturday 18 September 2027, 10:00–13:00 (Europe/London)"),
        "{summary}"
    );
    assert!(
        summary.contains("The barn, 1 Orchard Lane, Totnes"),
        "{summary}"
    );
    // British Summer Time: 10:00 in London is 09:00 UTC.
    assert_eq!(event["startTime"], "2027-09-18T09:00:00Z");
    assert_eq!(event["endTime"], "2027-09-18T12:00:00Z");
    assert_eq!(event["timezone"], "Europe/London");
    assert_eq!(event["location"]["type"], "Place");
    assert_eq!(event["location"]["name"], "The barn");
    assert_eq!(event["location"]["address"]["type"], "PostalAddress");
    assert_eq!(
        event["location"]["address"]["streetAddress"],
        "1 Orchard Lane, Totnes"
    );
    assert_eq!(event["maximumAttendeeCapacity"], 2);
    assert_eq!(event["remainingAttendeeCapacity"], 2);
    assert_eq!(event["joinMode"], "free");
    assert_eq!(event["ical:status"], "CONFIRMED");
    assert_eq!(event["to"][0], shared::activitypub::PUBLIC);
    assert!(
        event["content"]
            .as_str()
            .unwrap()
            .contains("<strong>gloves</strong>")
    );
    let object_id = event["id"].as_str().unwrap().to_owned();
    assert!(object_id.contains("/objects/events/"), "{object_id}");

    // The object dereferences (and the page sends an ActivityPub client to it).
    let path = &object_id[object_id.find("/objects/").unwrap()..];
    let get = async |accept: &str| {
        let res = t
            .client
            .get(t.fleet.at(AppName::Events, path))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    let (status, body) = get(AS_JSON).await;
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served["id"], object_id.as_str());
    assert_eq!(served["type"], "Event");
    assert_eq!(get("text/html").await.0, 303);
    let looked_up = t
        .client
        .get(t.fleet.at(AppName::Events, "/events/cider-pressing"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(looked_up.status(), 303);
    assert_eq!(looked_up.headers()["location"], object_id.as_str());

    // The peer's signed Join books it, and @events' Accept comes back.
    let date = dates_of(&t, "cider-pressing").await[0].clone();
    let join = rsvp.send("Join", json!(object_id)).await;
    eventually(30, "the Accept of the Join", || async {
        !rsvp.answers("Accept", &join).await.is_empty()
    })
    .await;
    let accept = &rsvp.answers("Accept", &join).await[0];
    assert_eq!(accept["actor"], events_id.as_str());
    assert_eq!(accept["object"]["type"], "Join");
    assert_eq!(accept["object"]["actor"], peer.actor());
    assert_eq!(accept["object"]["object"], object_id.as_str());
    assert_eq!(
        remote_bookings(&t, &peer.actor()).await,
        [("booked".to_owned(), date.id)]
    );
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);
    // The organiser sees the remote participant (by their actor id).
    let list = t
        .get(
            AppName::Events,
            &format!("/events/cider-pressing/dates/{}/attendees.csv", date.id),
            Some(&c.organiser),
        )
        .await;
    assert_eq!(list.status, 200);
    assert!(
        list.body
            .contains(&format!("{},fediverse,booked", peer.actor())),
        "{}",
        list.body
    );
    let page = t
        .get(
            AppName::Events,
            &format!("/events/cider-pressing/dates/{}/attendees", date.id),
            Some(&c.organiser),
        )
        .await;
    assert!(page.body.contains("Fediverse"), "{}", page.body);
    // The object counts them.
    let served: Value = serde_json::from_str(&get(AS_JSON).await.1).unwrap();
    assert_eq!(served["participantCount"], 1);
    assert_eq!(served["remainingAttendeeCapacity"], 1);

    // A second Join: the same booking (one place), answered again.
    let again = rsvp.send("Join", json!(object_id)).await;
    eventually(30, "the Accept of the second Join", || async {
        !rsvp.answers("Accept", &again).await.is_empty()
    })
    .await;
    assert_eq!(remote_bookings(&t, &peer.actor()).await.len(), 1);
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);

    // A Join of something we do not have is rejected.
    let base = object_id[..object_id.find("/objects/").unwrap()].to_owned();
    let unknown = rsvp
        .send("Join", json!(format!("{base}/objects/events/999999")))
        .await;
    eventually(30, "the Reject of the unknown Join", || async {
        !rsvp.answers("Reject", &unknown).await.is_empty()
    })
    .await;

    // Leave gives the place back; a Leave of nothing held changes nothing.
    rsvp.send("Leave", json!(object_id)).await;
    eventually(30, "the booking to be cancelled", || async {
        remote_bookings(&t, &peer.actor()).await == [("cancelled".to_owned(), date.id)]
    })
    .await;
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 0);
    rsvp.send("Leave", json!(object_id)).await;

    // An edit: one Update of the same object, with `updated`.
    let edited = post(
        &t,
        "/events/cider-pressing",
        &super::event_form(&[
            ("title", "Cider pressing"),
            ("slug", "cider-pressing"),
            ("date", "2027-09-18"),
            ("start_time", "11:00"),
            ("end_time", "13:00"),
            ("location", "The barn"),
            ("address", "1 Orchard Lane, Totnes"),
            ("capacity", "2"),
        ]),
        &c.organiser,
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    eventually(30, "the Update", || async {
        !rsvp.of_kind("Update").await.is_empty()
    })
    .await;
    let updates = rsvp.of_kind("Update").await;
    assert_eq!(updates[0]["object"]["id"], object_id.as_str());
    assert!(updates[0]["object"]["updated"].is_string());
    assert!(
        updates[0]["object"]["summary"]
            .as_str()
            .unwrap()
            .contains("11:00–13:00")
    );

    // Cancelled: an Update with the cancelled status; a Join now gets Reject.
    let cancelled = post(&t, "/events/cider-pressing/cancel", &[], &c.organiser).await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    eventually(30, "the cancelling Update", || async {
        rsvp.of_kind("Update").await.len() >= 2
    })
    .await;
    let update = &rsvp.of_kind("Update").await[1];
    assert_eq!(update["object"]["ical:status"], "CANCELLED");
    assert!(
        update["object"]["summary"]
            .as_str()
            .unwrap()
            .contains("Cancelled")
    );
    let late = rsvp.send("Join", json!(object_id)).await;
    eventually(30, "the Reject of a Join of a cancelled event", || async {
        !rsvp.answers("Reject", &late).await.is_empty()
    })
    .await;
    assert_eq!(remote_bookings(&t, &peer.actor()).await.len(), 1);

    // Deleted: a Delete with a Tombstone; the object answers 410.
    let deleted = post(&t, "/events/cider-pressing/delete", &[], &c.organiser).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    eventually(30, "the Delete", || async {
        !rsvp.of_kind("Delete").await.is_empty()
    })
    .await;
    let deletes = rsvp.of_kind("Delete").await;
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["object"]["type"], "Tombstone");
    assert_eq!(deletes[0]["object"]["id"], object_id.as_str());
    assert_eq!(get(AS_JSON).await.0, 410);

    // Each change arrived once: Accept of the Follow, Create, 2 Accepts, 2 Rejects, 2 Updates,
    // Delete.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(rsvp.of_kind("Create").await.len(), 1);
    assert_eq!(rsvp.of_kind("Update").await.len(), 2);
    assert_eq!(rsvp.of_kind("Accept").await.len(), 3);
    assert_eq!(rsvp.of_kind("Reject").await.len(), 2);
    drop(peer);
    t.stop().await;
}

#[actix_web::test]
async fn remote_participants_wait_their_turn_and_forged_joins_are_refused() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Events).config().clone();
    let rsvp = Rsvp {
        peer: &peer,
        events: LocalActor::App(AppName::Events).id(&config),
    };
    let c = cast(&t).await;
    let object_of = async |slug: &str| -> String {
        let res = t
            .client
            .get(t.fleet.at(AppName::Events, &format!("/events/{slug}")))
            .header("accept", AS_JSON)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{slug} has an object");
        res.headers()["location"].to_str().unwrap().to_owned()
    };

    // One place, taken by a member: the remote Join waits on the waitlist, unanswered.
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Harvest supper"),
            ("date", "2027-10-02"),
            ("capacity", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let supper = object_of("harvest-supper").await;
    let date = dates_of(&t, "harvest-supper").await[0].clone();
    let book = format!("/events/harvest-supper/dates/{}/book", date.id);
    let booked = post(&t, &book, &[], &c.other).await;
    assert_eq!(booked.status, 303, "{}", booked.body);
    let join = rsvp.send("Join", json!(supper)).await;
    eventually(30, "the remote participant on the waitlist", || async {
        remote_bookings(&t, &peer.actor()).await == [("waitlisted".to_owned(), date.id)]
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(rsvp.answers("Accept", &join).await.is_empty());
    assert!(rsvp.answers("Reject", &join).await.is_empty());
    // The member gives the place back: it goes to the remote participant, who is accepted.
    let unbook = format!("/events/harvest-supper/dates/{}/unbook", date.id);
    let gone = post(&t, &unbook, &[], &c.other).await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    let accept = rsvp.wait_for("Accept", &join).await;
    assert_eq!(accept["object"]["object"], supper.as_str());
    assert_eq!(
        remote_bookings(&t, &peer.actor()).await,
        [("booked".to_owned(), date.id)]
    );

    // An event that approves its bookings: pending, then the organiser's decision answers.
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Tasting"),
            ("date", "2027-10-09"),
            ("approval", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let tasting = object_of("tasting").await;
    let tasting_date = dates_of(&t, "tasting").await[0].clone();
    let pending_id = async || -> i64 {
        event_bookings::table
            .filter(event_bookings::remote_actor.eq(peer.actor()))
            .filter(event_bookings::occurrence_id.eq(tasting_date.id))
            .filter(event_bookings::status.eq("pending"))
            .select(event_bookings::id)
            .first(&mut t.db.conn().await)
            .await
            .unwrap()
    };
    let decide = async |booking: i64, how: &str| {
        let r = post(
            &t,
            &format!(
                "/events/tasting/dates/{}/bookings/{booking}/{how}",
                tasting_date.id
            ),
            &[],
            &c.organiser,
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
    };
    let first = rsvp.send("Join", json!(tasting)).await;
    eventually(30, "the pending remote booking", || async {
        remote_bookings(&t, &peer.actor())
            .await
            .contains(&("pending".to_owned(), tasting_date.id))
    })
    .await;
    assert!(rsvp.answers("Accept", &first).await.is_empty());
    decide(pending_id().await, "approve").await;
    rsvp.wait_for("Accept", &first).await;
    // They leave, ask again and are turned down this time.
    rsvp.send("Leave", json!(tasting)).await;
    eventually(30, "the Leave to cancel the booking", || async {
        !remote_bookings(&t, &peer.actor())
            .await
            .contains(&("booked".to_owned(), tasting_date.id))
    })
    .await;
    let second = rsvp.send("Join", json!(tasting)).await;
    eventually(30, "the second pending remote booking", || async {
        remote_bookings(&t, &peer.actor())
            .await
            .contains(&("pending".to_owned(), tasting_date.id))
    })
    .await;
    decide(pending_id().await, "reject").await;
    rsvp.wait_for("Reject", &second).await;

    // An event that is over takes no one.
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Last year's fair"),
            ("slug", "old-fair"),
            ("date", "2025-06-07"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let over = object_of("old-fair").await;
    let late = rsvp.send("Join", json!(over)).await;
    rsvp.wait_for("Reject", &late).await;

    // An unlisted event has no object to join: a Join of its would-be id is rejected.
    let r = create(
        &t,
        &c.organiser,
        &[("title", "Committee"), ("visibility", "unlisted")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let unlisted = events::db::events::by_slug(&mut t.db.conn().await, "committee")
        .await
        .unwrap()
        .unwrap();
    let would_be = events::domain::federate::first_object_id(&config, unlisted.id);
    let hidden = rsvp.send("Join", json!(would_be)).await;
    rsvp.wait_for("Reject", &hidden).await;

    // A Join signed by the peer's key but claiming someone else: refused at the inbox (the
    // key's owner is not the actor), nothing booked for anyone.
    let mallory = format!("http://peer.localhost:{}/users/mallory", peer.port);
    let (_, status) = rsvp.send_as(Some(&mallory), "Join", json!(supper)).await;
    assert_eq!(status, 401);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(remote_bookings(&t, &mallory).await.is_empty());

    // The peer does not follow @events, yet hears that the supper it is booked at is
    // cancelled: the Update is addressed to the event's remote participants too.
    assert!(rsvp.of_kind("Update").await.is_empty());
    let r = post(&t, "/events/harvest-supper/cancel", &[], &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    eventually(30, "the cancelling Update", || async {
        !rsvp.of_kind("Update").await.is_empty()
    })
    .await;
    let updates = rsvp.of_kind("Update").await;
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["object"]["id"], supper.as_str());
    assert_eq!(updates[0]["object"]["ical:status"], "CANCELLED");
    assert!(
        updates[0]["cc"]
            .as_array()
            .unwrap()
            .contains(&json!(peer.actor())),
        "{}",
        updates[0]
    );
    drop(peer);
    t.stop().await;
}

/// The peer follows `@events` (found by WebFinger) and gets its Accept.
async fn follow_events(t: &TestFleet, peer: &Peer) {
    let url = t.fleet.url(AppName::Events);
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let followed = peer
        .call(
            "/_follow",
            json!({ "account": format!("acct:events@{host}"), "domain": format!("http://{host}") }),
        )
        .await;
    assert_eq!(followed["status"], 202);
    let follow_id = followed["follow"].as_str().unwrap().to_owned();
    eventually(30, "@events' Accept of the Follow", || async {
        !peer
            .received_where(|r| {
                r["activity"]["type"] == "Accept" && r["activity"]["object"]["id"] == follow_id
            })
            .await
            .is_empty()
    })
    .await;
}

const PARTICIPANTS: &str = "events.federate_participants";

/// The pending participant-count jobs: (event id in the payload, seconds until due).
async fn count_jobs(t: &TestFleet) -> Vec<(i64, i64)> {
    use shared::db::schema::background_jobs as jobs;
    let rows: Vec<(Value, chrono::DateTime<chrono::Utc>)> = jobs::table
        .filter(jobs::job_type.eq(PARTICIPANTS))
        .filter(jobs::status.eq("pending"))
        .select((jobs::payload, jobs::run_at))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(p, at)| {
            let due = (at - chrono::Utc::now()).num_seconds();
            (p["event_id"].as_i64().unwrap(), due)
        })
        .collect()
}

/// Makes the pending participant-count jobs due now (instead of waiting out the minute).
async fn run_count_jobs_now(t: &TestFleet) {
    use shared::db::schema::background_jobs as jobs;
    diesel::update(
        jobs::table
            .filter(jobs::job_type.eq(PARTICIPANTS))
            .filter(jobs::status.eq("pending")),
    )
    .set(jobs::run_at.eq(diesel::dsl::now))
    .execute(&mut t.db.conn().await)
    .await
    .unwrap();
}

#[actix_web::test]
async fn booking_changes_send_the_participant_count_at_most_once_a_minute() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Events).config().clone();
    let rsvp = Rsvp {
        peer: &peer,
        events: LocalActor::App(AppName::Events).id(&config),
    };
    follow_events(&t, &peer).await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Seed swap"),
            ("date", "2027-03-13"),
            ("capacity", "5"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    eventually(30, "the Create", || async {
        !rsvp.of_kind("Create").await.is_empty()
    })
    .await;
    let object_id = rsvp.of_kind("Create").await[0]["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event_id = events::domain::federate::event_of_object(&config, &object_id).unwrap();
    let date = dates_of(&t, "seed-swap").await[0].clone();
    let book = format!("/events/seed-swap/dates/{}/book", date.id);
    let unbook = format!("/events/seed-swap/dates/{}/unbook", date.id);

    // Three bookings in a row: one count job, a minute ahead, and no Update yet.
    for who in [&c.admin, &c.organiser, &c.other] {
        assert_eq!(post(&t, &book, &[], who).await.status, 303);
    }
    let pending = count_jobs(&t).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].0, event_id);
    assert!((50..=60).contains(&pending[0].1), "{pending:?}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(rsvp.of_kind("Update").await.is_empty());

    // Its minute up: one Update with the count of all three.
    run_count_jobs_now(&t).await;
    eventually(30, "the participant count's Update", || async {
        !rsvp.of_kind("Update").await.is_empty()
    })
    .await;
    let update = &rsvp.of_kind("Update").await[0]["object"];
    assert_eq!(update["id"], object_id.as_str());
    assert_eq!(update["participantCount"], 3);
    assert_eq!(update["remainingAttendeeCapacity"], 2);
    assert!(update["updated"].is_string());
    assert!(count_jobs(&t).await.is_empty());

    // A place given back: the next count comes a minute after that, with the new figure.
    assert_eq!(post(&t, &unbook, &[], &c.other).await.status, 303);
    let pending = count_jobs(&t).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!((50..=60).contains(&pending[0].1), "{pending:?}");
    run_count_jobs_now(&t).await;
    eventually(30, "the second count", || async {
        rsvp.of_kind("Update").await.len() >= 2
    })
    .await;
    let update = &rsvp.of_kind("Update").await[1]["object"];
    assert_eq!(update["participantCount"], 2);

    // A count waiting when the organiser edits: the edit's Update carries it and the job goes.
    assert_eq!(post(&t, &book, &[], &c.other).await.status, 303);
    assert_eq!(count_jobs(&t).await.len(), 1);
    let edited = post(
        &t,
        "/events/seed-swap",
        &super::event_form(&[
            ("title", "Seed swap and soup"),
            ("slug", "seed-swap"),
            ("date", "2027-03-13"),
            ("capacity", "5"),
        ]),
        &c.organiser,
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert!(count_jobs(&t).await.is_empty());
    eventually(30, "the edit's Update", || async {
        rsvp.of_kind("Update").await.len() >= 3
    })
    .await;
    let update = &rsvp.of_kind("Update").await[2]["object"];
    assert_eq!(update["name"], "Seed swap and soup");
    assert_eq!(update["participantCount"], 3);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(rsvp.of_kind("Update").await.len(), 3);
    drop(peer);
    t.stop().await;
}
