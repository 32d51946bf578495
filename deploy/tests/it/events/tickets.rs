//! Paid tickets end to end: an organiser gives a date a ticket type, a member buys seats
//! through the cart and pays on the SumUp simulator's hosted page, the cart's `OrderPaid`
//! makes events issue one ticket per seat (once, however often it is delivered), the door
//! checks a ticket in once and says when and by whom the second time, and a full refund voids
//! the tickets. Seats are held by the checkout's reservation like stock: nobody can buy a seat
//! another checkout holds.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::contracts::dtos::Money;
use shared::contracts::events::{OrderPaid, PaidLine};
use shared::contracts::sellable::SellableRef;
use shared::db::schema::{event_ticket_types, event_tickets, orders};
use shared::testing::TestSession;

use super::{cast, create, dates_of, post};
use crate::cart::{self, location};
use crate::support::{Page, TestFleet, eventually};

const SUPPER: &[(&str, &str)] = &[
    ("title", "Harvest supper"),
    ("slug", "harvest-supper"),
    ("date", "2027-09-18"),
    ("start_time", "19:00"),
    ("end_time", "22:00"),
];

async fn add_tickets(t: &TestFleet, s: &TestSession, type_id: i64, quantity: i32) -> Page {
    let (id, q) = (type_id.to_string(), quantity.to_string());
    t.post_form(
        AppName::Cart,
        "/cart/items",
        &[("ticket", id.as_str()), ("quantity", q.as_str())],
        Some(s),
        AppName::Events,
    )
    .await
}

async fn available(t: &TestFleet, type_id: i64) -> i32 {
    event_ticket_types::table
        .find(type_id)
        .select(event_ticket_types::available)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// (secret, status) of the order's tickets, by line and seat.
async fn tickets_of(t: &TestFleet, reference: &str) -> Vec<(String, String)> {
    event_tickets::table
        .filter(event_tickets::order_reference.eq(reference))
        .order((event_tickets::order_line, event_tickets::seat))
        .select((event_tickets::secret, event_tickets::status))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn order_state(t: &TestFleet, reference: &str) -> String {
    orders::table
        .filter(orders::reference.eq(reference))
        .select(orders::state)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn check_in(t: &TestFleet, who: &TestSession, code: &str) -> Page {
    post(t, "/events/harvest-supper/check-in", &[("code", code)], who).await
}

#[actix_web::test]
async fn tickets_are_bought_through_the_cart_issued_once_checked_in_once_and_voided_by_a_refund() {
    let (t, sim) = cart::fleet().await;
    let c = cast(&t).await;
    assert_eq!(create(&t, &c.organiser, SUPPER).await.status, 303);
    let date = dates_of(&t, "harvest-supper").await[0].id;
    let tickets_path = format!("/events/harvest-supper/dates/{date}/tickets");
    let standard = [("name", "Standard"), ("price", "12.50"), ("quantity", "3")];

    // Only the calendar's organisers sell tickets; bad forms are refused; nothing is made.
    assert_eq!(
        post(&t, &tickets_path, &standard, &c.other).await.status,
        403
    );
    for bad in [
        [("name", "Standard"), ("price", "free"), ("quantity", "3")],
        [("name", "Standard"), ("price", "0"), ("quantity", "3")],
        [("name", "Standard"), ("price", "12.50"), ("quantity", "0")],
        [("name", ""), ("price", "12.50"), ("quantity", "3")],
    ] {
        assert_eq!(
            post(&t, &tickets_path, &bad, &c.organiser).await.status,
            400
        );
    }
    let none: i64 = event_ticket_types::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(none, 0);
    assert_eq!(
        post(&t, &tickets_path, &standard, &c.organiser)
            .await
            .status,
        303
    );
    let type_id: i64 = event_ticket_types::table
        .select(event_ticket_types::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();

    // The event page sells it through the cart, and no longer offers a free place.
    let page = t
        .get(AppName::Events, "/events/harvest-supper", Some(&c.other))
        .await;
    assert!(page.body.contains("£12.50"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("name=\"ticket\" value=\"{type_id}\""))
    );
    assert!(
        page.body
            .contains(&t.fleet.at(AppName::Cart, "/cart/items"))
    );
    assert!(!page.body.contains("Book a place"));

    // Bea buys two; her checkout holds them, so Cal can have the last one only.
    let (_, bea) = cart::buyer(&t, "bea").await;
    assert_eq!(add_tickets(&t, &bea, type_id, 2).await.status, 303);
    let in_cart = t.get(AppName::Cart, "/", Some(&bea)).await;
    assert!(
        in_cart
            .body
            .contains("Harvest supper — Standard, Sat 18 Sep 2027 19:00"),
        "{}",
        in_cart.body
    );
    let (_, cal) = cart::buyer(&t, "cal").await;
    assert_eq!(add_tickets(&t, &cal, type_id, 2).await.status, 303);
    let placed = cart::checkout(&t, &bea).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    assert_eq!(available(&t, type_id).await, 1);
    let refused = cart::checkout(&t, &cal).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(
        available(&t, type_id).await,
        1,
        "a refused checkout takes nothing"
    );

    // Bea pays on SumUp's page.
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&checkout_id).unwrap().reference;
    let paid = shared::testing::http_client()
        .post(format!("{}/pay/{checkout_id}", sim.url()))
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 303);
    eventually(20, "two tickets issued", || async {
        tickets_of(&t, &reference).await.len() == 2
    })
    .await;
    assert_eq!(order_state(&t, &reference).await, "PaymentSettled");
    let issued = tickets_of(&t, &reference).await;
    assert_ne!(issued[0].0, issued[1].0, "each seat has its own secret");

    // The bus delivers at least once: the same OrderPaid again issues nothing new.
    let again = OrderPaid {
        id: format!("again-{reference}"),
        reference: reference.clone(),
        user_id: None,
        total: Money {
            cents: 2500,
            currency: "GBP".into(),
        },
        paid_at: Utc::now(),
        lines: vec![PaidLine {
            position: 0,
            item: SellableRef::ticket(type_id),
            quantity: 2,
        }],
    };
    let desk = events::domain::TicketDesk::new(t.fleet.ctx(AppName::Events).db());
    assert_eq!(desk.issue(&again).await.unwrap(), 0);
    assert_eq!(tickets_of(&t, &reference).await, issued);

    // Bea finds them under her bookings; a ticket's page shows its code and is not cached.
    let bea_events = t.sign_in(AppName::Events, user_id(&t, "bea").await).await;
    let mine = t.get(AppName::Events, "/bookings", Some(&bea_events)).await;
    assert!(mine.body.contains(&format!("/tickets/{}", issued[0].0)));
    let ticket = t
        .get(AppName::Events, &format!("/tickets/{}", issued[0].0), None)
        .await;
    assert_eq!(ticket.status, 200);
    assert!(ticket.body.contains("<svg"), "{}", ticket.body);
    assert_eq!(ticket.headers["cache-control"], "private, no-store");
    assert_eq!(
        t.get(AppName::Events, "/tickets/not-a-ticket", None)
            .await
            .status,
        404
    );

    // Her account dashboard lists them (through the Bookings contract), linking their pages.
    let bea_account = t.sign_in(AppName::Account, user_id(&t, "bea").await).await;
    let dashboard = t.get(AppName::Account, "/", Some(&bea_account)).await;
    assert!(
        dashboard
            .body
            .contains(&format!("/tickets/{}", issued[1].0))
            && dashboard.body.contains("Standard, seat 2"),
        "{}",
        dashboard.body
    );
    let nosy_dashboard = t.get(AppName::Account, "/", Some(&c.other)).await;
    assert!(!nosy_dashboard.body.contains("/tickets/"));

    // The door: in once; the second scan says when and by whom; only organisers check in.
    assert_eq!(check_in(&t, &c.other, &issued[0].0).await.status, 403);
    let first = check_in(&t, &c.organiser, &issued[0].0).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Welcome: Standard, seat 1."));
    let second = check_in(&t, &c.organiser, &issued[0].0).await;
    assert_eq!(second.status, 409);
    assert!(
        second.body.contains("Already checked in at") && second.body.contains("by olive"),
        "{}",
        second.body
    );
    assert_eq!(
        check_in(&t, &c.organiser, "0123456789abcdef0123")
            .await
            .status,
        404
    );

    // A full refund voids the order's tickets: the other seat is turned away.
    let admin_cart = t.sign_in(AppName::Cart, admin_id(&t).await).await;
    // The order's page lists its tickets for the buyer (a guest reaches it by the receipt's
    // link), but not for an admin: a ticket's address is its credential.
    let order_path = format!("/orders/{reference}");
    let order_page = t.get(AppName::Cart, &order_path, Some(&bea)).await;
    assert!(
        order_page
            .body
            .contains(&format!("/tickets/{}", issued[1].0))
    );
    let admin_view = t.get(AppName::Cart, &order_path, Some(&admin_cart)).await;
    assert_eq!(admin_view.status, 200);
    assert!(!admin_view.body.contains("/tickets/"));
    let refund = t
        .post_form(
            AppName::Cart,
            &format!("/admin/orders/{reference}/refund"),
            &[("amount", "")],
            Some(&admin_cart),
            AppName::Cart,
        )
        .await;
    assert_eq!(refund.status, 303, "{}", refund.body);
    eventually(20, "tickets voided", || async {
        tickets_of(&t, &reference)
            .await
            .iter()
            .all(|(_, status)| status == "void")
    })
    .await;
    let turned_away = check_in(&t, &c.organiser, &issued[1].0).await;
    assert_eq!(turned_away.status, 409);
    assert!(turned_away.body.contains("refunded"));
    t.stop().await;
}

async fn user_id(t: &TestFleet, username: &str) -> i64 {
    use shared::db::schema::users;
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn admin_id(t: &TestFleet) -> i64 {
    user_id(t, "ada").await
}

/// (name, price, currency, quantity, available, sales_end) of the only ticket type.
async fn the_type(
    t: &TestFleet,
) -> (
    i64,
    String,
    i64,
    String,
    i32,
    i32,
    Option<chrono::DateTime<Utc>>,
) {
    event_ticket_types::table
        .select((
            event_ticket_types::id,
            event_ticket_types::name,
            event_ticket_types::price_cents,
            event_ticket_types::currency,
            event_ticket_types::quantity,
            event_ticket_types::available,
            event_ticket_types::sales_end,
        ))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn organisers_edit_a_ticket_type_but_never_below_the_seats_taken() {
    use shared::contracts::inventory::StockLine;
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    assert_eq!(create(&t, &c.organiser, SUPPER).await.status, 303);
    let date = dates_of(&t, "harvest-supper").await[0].id;
    let made = post(
        &t,
        &format!("/events/harvest-supper/dates/{date}/tickets"),
        &[
            ("name", "Standard"),
            ("price", "12.50 GBP"),
            ("quantity", "10"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let (id, ..) = the_type(&t).await;
    let edit = format!("/events/harvest-supper/dates/{date}/tickets/{id}");

    // Four seats taken by a checkout, through the cart's own Inventory contract.
    let inventory = t.fleet.ctx(AppName::Cart).registry().inventory.clone();
    let held = inventory
        .reserve(
            "test-order-1",
            &[StockLine::new(SellableRef::ticket(id), 4)],
            Utc::now() + chrono::Duration::minutes(15),
        )
        .await
        .unwrap();
    assert!(held.is_ok(), "{held:?}");
    assert_eq!(the_type(&t).await.5, 6);

    // The page offers organisers the form with the current values.
    let page = t
        .get(
            AppName::Events,
            "/events/harvest-supper",
            Some(&c.organiser),
        )
        .await;
    assert!(
        page.body.contains(&format!("action=\"{edit}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"12.50 GBP\""), "{}", page.body);
    let page = t
        .get(AppName::Events, "/events/harvest-supper", Some(&c.other))
        .await;
    assert!(!page.body.contains(&format!("action=\"{edit}\"")));

    // Price, quantity and sales window change; the seats left follow the quantity.
    let r = post(
        &t,
        &edit,
        &[
            ("name", "Early bird"),
            ("price", "9.00 GBP"),
            ("quantity", "6"),
            ("sales_end", "2027-09-01T18:00"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, name, cents, currency, quantity, available, sales_end) = the_type(&t).await;
    assert_eq!(
        (name.as_str(), cents, currency.as_str(), quantity, available),
        ("Early bird", 900, "GBP", 6, 2)
    );
    // 18:00 in London in summer time is 17:00 UTC.
    assert_eq!(sales_end.unwrap().to_rfc3339(), "2027-09-01T17:00:00+00:00");

    // Down to exactly the seats taken is allowed; below them is a 409 and changes nothing.
    let to = |n: &'static str| {
        [
            ("name", "Early bird"),
            ("price", "9.00 GBP"),
            ("quantity", n),
        ]
    };
    let r = post(&t, &edit, &to("3"), &c.organiser).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("4 tickets"), "{}", r.body);
    assert_eq!(the_type(&t).await.4, 6);
    assert_eq!(the_type(&t).await.5, 2);
    let r = post(&t, &edit, &to("4"), &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!((the_type(&t).await.4, the_type(&t).await.5), (4, 0));

    // Others: 403; bad input: 400; another date's or an unknown type: 404; none changes it.
    assert_eq!(post(&t, &edit, &to("8"), &c.other).await.status, 403);
    for bad in [
        [("name", "Early bird"), ("price", "free"), ("quantity", "8")],
        [("name", ""), ("price", "9.00"), ("quantity", "8")],
        [("name", "Early bird"), ("price", "9.00"), ("quantity", "0")],
    ] {
        assert_eq!(post(&t, &edit, &bad, &c.organiser).await.status, 400);
    }
    let unknown = format!("/events/harvest-supper/dates/{date}/tickets/{}", id + 1000);
    assert_eq!(post(&t, &unknown, &to("8"), &c.organiser).await.status, 404);
    let (_, name, cents, _, quantity, available, _) = the_type(&t).await;
    assert_eq!(
        (name.as_str(), cents, quantity, available),
        ("Early bird", 900, 4, 0)
    );

    // The checkout gives its seats back: they are free again under the new quantity.
    inventory.release("test-order-1").await.unwrap();
    assert_eq!(the_type(&t).await.5, 4);
    t.stop().await;
}
