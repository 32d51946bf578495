//! Federated events (issue 14 item 7): the bovine peer (Python's `bovine`, `support::bovine`)
//! finds `@events` by WebFinger and follows it; a public event sends it one signed
//! `Create{Event}` (FEP-8a8e: `name`, `startTime`, `endTime`, a `Place` with its address,
//! Mobilizon's capacity fields) whose `summary` holds the date, time and place (what Mastodon
//! shows); the object dereferences. The peer's signed `Join` books it (a remote participant on
//! the attendee list) and `@events`' `Accept` comes back; a second Join changes nothing; its
//! `Leave` gives the place back. A Join of an unknown object is rejected. An edit sends
//! `Update`, the cancellation an `Update` with `ical:status` `CANCELLED` (a Join then gets
//! `Reject`), the deletion `Delete`, after which the object answers 410. An unlisted event
//! sends nothing.

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
    // What the peer took from @events, signed by @events, of a kind.
    let of_kind = async |kind: &str| -> Vec<Value> {
        peer.received_where(|r| r["activity"]["type"] == kind)
            .await
            .into_iter()
            .inspect(|r| assert_eq!(r["controller"], events_id.as_str(), "{r}"))
            .map(|r| r["activity"].clone())
            .collect()
    };
    let send = async |kind: &str, object: Value| -> String {
        let sent = peer
            .call(
                "/_send",
                json!({ "type": kind, "object": object, "to": events_id }),
            )
            .await;
        assert_eq!(sent["status"], 202, "{sent}");
        sent["id"].as_str().unwrap().to_owned()
    };
    let answer_to = async |kind: &str, join: &str| -> Vec<Value> {
        of_kind(kind)
            .await
            .into_iter()
            .filter(|a| a["object"]["id"] == join)
            .collect()
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
        !of_kind("Create").await.is_empty()
    })
    .await;
    let creates = of_kind("Create").await;
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
    let join = send("Join", json!(object_id)).await;
    eventually(30, "the Accept of the Join", || async {
        !answer_to("Accept", &join).await.is_empty()
    })
    .await;
    let accept = &answer_to("Accept", &join).await[0];
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
    // The object counts them.
    let served: Value = serde_json::from_str(&get(AS_JSON).await.1).unwrap();
    assert_eq!(served["participantCount"], 1);
    assert_eq!(served["remainingAttendeeCapacity"], 1);

    // A second Join: the same booking (one place), answered again.
    let again = send("Join", json!(object_id)).await;
    eventually(30, "the Accept of the second Join", || async {
        !answer_to("Accept", &again).await.is_empty()
    })
    .await;
    assert_eq!(remote_bookings(&t, &peer.actor()).await.len(), 1);
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);

    // A Join of something we do not have is rejected.
    let base = object_id[..object_id.find("/objects/").unwrap()].to_owned();
    let unknown = send("Join", json!(format!("{base}/objects/events/999999"))).await;
    eventually(30, "the Reject of the unknown Join", || async {
        !answer_to("Reject", &unknown).await.is_empty()
    })
    .await;

    // Leave gives the place back; a Leave of nothing held changes nothing.
    send("Leave", json!(object_id)).await;
    eventually(30, "the booking to be cancelled", || async {
        remote_bookings(&t, &peer.actor()).await == [("cancelled".to_owned(), date.id)]
    })
    .await;
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 0);
    send("Leave", json!(object_id)).await;

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
        !of_kind("Update").await.is_empty()
    })
    .await;
    let updates = of_kind("Update").await;
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
        of_kind("Update").await.len() >= 2
    })
    .await;
    let update = &of_kind("Update").await[1];
    assert_eq!(update["object"]["ical:status"], "CANCELLED");
    assert!(
        update["object"]["summary"]
            .as_str()
            .unwrap()
            .contains("Cancelled")
    );
    let late = send("Join", json!(object_id)).await;
    eventually(30, "the Reject of a Join of a cancelled event", || async {
        !answer_to("Reject", &late).await.is_empty()
    })
    .await;
    assert_eq!(remote_bookings(&t, &peer.actor()).await.len(), 1);

    // Deleted: a Delete with a Tombstone; the object answers 410.
    let deleted = post(&t, "/events/cider-pressing/delete", &[], &c.organiser).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    eventually(30, "the Delete", || async {
        !of_kind("Delete").await.is_empty()
    })
    .await;
    let deletes = of_kind("Delete").await;
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["object"]["type"], "Tombstone");
    assert_eq!(deletes[0]["object"]["id"], object_id.as_str());
    assert_eq!(get(AS_JSON).await.0, 410);

    // Each change arrived once: Accept of the Follow, Create, 2 Accepts, 2 Rejects, 2 Updates,
    // Delete.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(of_kind("Create").await.len(), 1);
    assert_eq!(of_kind("Update").await.len(), 2);
    assert_eq!(of_kind("Accept").await.len(), 3);
    assert_eq!(of_kind("Reject").await.len(), 2);
    drop(peer);
    t.stop().await;
}
