//! Demo content for `deploy dev`: members, posts, a navigation menu, products, events,
//! newsletters and a demo member's cart. Idempotent: a database with users is left alone.

use ::account::db::newsletters::NewNewsletter;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use federation::db::users as user_rows;
use shared::AppName;
use shared::config::Config;
use shared::db::schema::users;
use shared::infrastructure::link_catalog::{self, Link};
use shared::models::blog::{NewNavItem, NewPost, PostFields};
use shared::models::cart::{self, CartOwner};
use shared::models::events::NewEvent;
use shared::models::market::{self, NewProduct};
use shared::models::users::NewUser;

/// What [`seed`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created,
    AlreadyThere,
}

/// The demo member's username (the member whose cart and newsletters are seeded).
pub const DEMO_USER: &str = "demo";
/// The demo members' password (dev only).
pub const DEMO_PASSWORD: &str = "rose-ash-demo";

pub async fn seed(database_url: &str, config: &Config) -> Result<Seeded, diesel::result::Error> {
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
    let existing: i64 = users::table.count().get_result(&mut conn).await?;
    if existing > 0 {
        return Ok(Seeded::AlreadyThere);
    }
    conn.transaction(async |conn| seed_all(conn, config).await)
        .await?;
    Ok(Seeded::Created)
}

async fn seed_all(
    conn: &mut AsyncPgConnection,
    config: &Config,
) -> Result<(), diesel::result::Error> {
    let url = |app: AppName, path: &str| {
        format!(
            "{}/{}",
            config.apps.public(app).as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    };
    // Demo members sign in with DEMO_PASSWORD (dev only).
    let hash = federation::accounts::passwords::hash_blocking(DEMO_PASSWORD)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    let person = |username, email, display_name, bio, role| NewUser {
        username,
        email,
        display_name,
        avatar_url: None,
        bio,
        role,
    };
    let ada = user_rows::insert_with_password(
        conn,
        &person(
            "ada",
            "ada@rose-ash.localhost",
            "Ada Lovelace",
            "Keeps the cooperative's books and its orchard.",
            "admin",
        ),
        &hash,
        true,
    )
    .await?;
    let grace = user_rows::insert_with_password(
        conn,
        &person(
            "grace",
            "grace@rose-ash.localhost",
            "Grace Hopper",
            "Writes the newsletter; debugs the bread oven.",
            "editor",
        ),
        &hash,
        true,
    )
    .await?;
    let demo = user_rows::insert_with_password(
        conn,
        &person(
            DEMO_USER,
            "demo@rose-ash.localhost",
            "Demo Member",
            "Here to look around.",
            "member",
        ),
        &hash,
        true,
    )
    .await?;

    let now = Utc::now();
    let posts: [(&str, &str, &str, &str, i64, i64); 5] = [
        (
            "welcome-to-rose-ash",
            "Welcome to Rose Ash",
            "Six apps, one cooperative: what you will find here and how to take part.",
            "<p>Rose Ash is a cooperative of growers, bakers and makers. This site is ours: the blog \
             you are reading, a market for what we make, a calendar of what we do, and an account \
             that ties it together.</p><h2>Taking part</h2><p>Every member has a vote. Come to the \
             next members' meeting, or write to us from your account page.</p>",
            ada.id,
            12,
        ),
        (
            "the-orchard-in-november",
            "The orchard in November",
            "Pruning, planting and the last of the quinces.",
            "<p>The last quinces are in and the pruning has begun. We planted six new trees along the \
             south wall: two pears, two plums and two heritage apples.</p><blockquote><p>Plant for \
             the people who will eat the fruit.</p></blockquote>",
            ada.id,
            6,
        ),
        (
            "sourdough-for-beginners",
            "Sourdough for beginners",
            "Our bakers share the starter they have kept alive since 2019.",
            "<p>Flour, water, salt and patience. Pick up a jar of starter at the market stall and \
             follow these steps.</p><ol><li>Feed it the night before.</li><li>Mix 500 g flour, \
             350 g water, 100 g starter and 10 g salt.</li><li>Fold every half hour, four times.</li>\
             <li>Shape, prove overnight in the fridge, bake hot.</li></ol>",
            grace.id,
            3,
        ),
        (
            "market-day-is-moving",
            "Market day is moving to Saturdays",
            "From December the market opens on Saturday mornings.",
            "<p>After the members' vote, market day moves from Friday evening to <strong>Saturday \
             morning, 9 to 1</strong>, starting in December.</p><p>[events:upcoming]</p>",
            grace.id,
            1,
        ),
        (
            "draft-annual-report",
            "Annual report (draft)",
            "Not ready yet.",
            "<p>Numbers to follow.</p>",
            ada.id,
            -1,
        ),
    ];
    let tags = [
        ("welcome-to-rose-ash", &["Cooperative"][..]),
        ("the-orchard-in-november", &["Orchard", "Seasons"][..]),
        ("sourdough-for-beginners", &["Baking"][..]),
        ("market-day-is-moving", &["Cooperative", "Market"][..]),
    ];
    for (slug, title, excerpt, html, author, days_ago) in posts {
        let published = days_ago >= 0;
        let post = blog::db::posts::insert_post(
            conn,
            &NewPost {
                slug,
                title,
                excerpt,
                html,
                feature_image: None,
                status: if published { "published" } else { "draft" },
                author_id: Some(author),
                published_at: published.then(|| now - Duration::days(days_ago)),
            },
        )
        .await?;
        if let Some((_, names)) = tags.iter().find(|(s, _)| *s == slug) {
            let mut ids = Vec::new();
            for name in *names {
                ids.push(
                    blog::db::tags::upsert_tag(conn, &name.to_lowercase(), name)
                        .await?
                        .id,
                );
            }
            blog::db::tags::set_post_tags(conn, post.id, &ids).await?;
        }
    }
    blog::db::posts::insert_post_fields(
        conn,
        &PostFields {
            kind: "page",
            slug: "about",
            title: "About Rose Ash",
            excerpt: "Who we are and how the cooperative works.",
            html: "<p>Rose Ash is owned and run by its members: growers, bakers and makers who \
                   share an orchard, a market stall and a calendar.</p>",
            markdown: None,
            feature_image: None,
            feature_image_alt: None,
            status: "published",
            author_id: Some(ada.id),
            published_at: Some(now - Duration::days(30)),
        },
    )
    .await?;
    let secondary = [
        ("RSS", url(AppName::Blog, "/rss.xml")),
        ("Atom", url(AppName::Blog, "/atom.xml")),
    ];
    for (position, (label, link)) in secondary.iter().enumerate() {
        blog::db::navigation::insert_nav_item(
            conn,
            &NewNavItem {
                menu: "secondary",
                label,
                url: link,
                position: i32::try_from(position).unwrap_or(0),
            },
        )
        .await?;
    }

    // Links into other apps come from the link catalogue, so they follow their owners' routes.
    let link = |to: Link| url(to.app, &to.path);
    let menu = [
        ("Home", url(AppName::Blog, "/")),
        ("Market", link(link_catalog::market())),
        ("What's on", link(link_catalog::events())),
        ("Newsletter", link(link_catalog::account())),
        ("About", url(AppName::Blog, "/about")),
    ];
    for (position, (label, link)) in menu.iter().enumerate() {
        blog::db::navigation::insert_nav_item(
            conn,
            &NewNavItem {
                menu: "primary",
                label,
                url: link,
                position: i32::try_from(position).unwrap_or(0),
            },
        )
        .await?;
    }

    let products: [(&str, &str, &str, i64, bool, i32); 6] = [
        (
            "quince-jelly",
            "Quince jelly",
            "From the orchard's last quinces. 340 g jar.",
            650,
            true,
            24,
        ),
        (
            "sourdough-loaf",
            "Sourdough loaf",
            "Baked on Saturday morning. 800 g.",
            450,
            true,
            30,
        ),
        (
            "heritage-apple-box",
            "Heritage apple box",
            "Five kilos of mixed heritage apples.",
            1800,
            true,
            8,
        ),
        (
            "beeswax-candles",
            "Beeswax candles",
            "Hand-dipped, a pair.",
            900,
            false,
            15,
        ),
        (
            "wool-socks",
            "Wool socks",
            "Knitted by members from local wool.",
            1500,
            false,
            0,
        ),
        (
            "starter-jar",
            "Sourdough starter",
            "A jar of the cooperative's starter, with instructions.",
            300,
            false,
            40,
        ),
    ];
    let mut product_ids = Vec::new();
    for (slug, title, description, price_cents, featured, stock) in products {
        let p = market::insert(
            conn,
            &NewProduct {
                slug,
                title,
                description,
                price_cents,
                currency: "GBP",
                image_url: None,
                featured,
                stock,
            },
        )
        .await?;
        product_ids.push(p.id);
    }
    seed_stalls(conn, &product_ids, grace.id, demo.id).await?;

    let day = |d: i64, hour: u32| {
        let date = (now + Duration::days(d)).date_naive();
        date.and_hms_opt(hour, 0, 0).map_or(now, |t| t.and_utc())
    };
    let calendar: [(&str, &str, &str, &str, i64, u32, u32); 5] = [
        (
            "saturday-market",
            "Saturday market",
            "Bread, fruit and everything the members make.",
            "The old school yard",
            3,
            9,
            13,
        ),
        (
            "pruning-workshop",
            "Pruning workshop",
            "Learn to prune fruit trees with our orchard team.",
            "The orchard",
            10,
            10,
            15,
        ),
        (
            "members-meeting",
            "Members' meeting",
            "The quarterly meeting: accounts, plans and a vote.",
            "The village hall",
            17,
            19,
            21,
        ),
        (
            "wreath-making",
            "Wreath making",
            "Make a winter wreath from the hedgerows.",
            "The barn",
            30,
            14,
            17,
        ),
        (
            "harvest-supper",
            "Harvest supper",
            "It was lovely. Thank you all.",
            "The barn",
            -20,
            18,
            22,
        ),
    ];
    for (slug, title, description, location, d, from, to) in calendar {
        events::db::events::insert(
            conn,
            &NewEvent {
                slug,
                title,
                description,
                location,
                starts_at: day(d, from),
                ends_at: Some(day(d, to)),
            },
        )
        .await?;
    }
    seed_calendars(conn, grace.id).await?;

    let letter = ::account::db::newsletters::insert(
        conn,
        &NewNewsletter::public(
            "rose-ash-letter",
            "The Rose Ash Letter",
            "A monthly letter from the cooperative: news, recipes and dates.",
        ),
    )
    .await?;
    ::account::db::newsletters::insert(
        conn,
        &NewNewsletter::public(
            "market-day",
            "Market Day",
            "What is on the stall this Saturday.",
        ),
    )
    .await?;
    // The demo member subscribed while signed in, with a confirmed address.
    let reader =
        ::account::db::subscribers::find_or_create(conn, &demo.email, Some(demo.id)).await?;
    let subscription =
        ::account::db::subscriptions::find_or_create_locked(conn, letter.id, reader.id).await?;
    ::account::db::subscriptions::confirm(conn, subscription.id).await?;

    let demo_cart = cart::find_or_create(conn, &CartOwner::User(demo.id)).await?;
    if let (Some(jelly), Some(loaf)) = (<[i64]>::first(&product_ids), <[i64]>::get(&product_ids, 1))
    {
        cart::add_item(conn, demo_cart.id, *jelly, 2).await?;
        cart::add_item(conn, demo_cart.id, *loaf, 1).await?;
    }
    Ok(())
}

/// The market's stalls: the orchard's (its products above move there, kept by Grace) and a
/// knitter's with a product in two options (kept by the demo member, so signing in as them
/// shows the owner's forms).
async fn seed_stalls(
    conn: &mut AsyncPgConnection,
    orchard_products: &[i64],
    orchard_keeper: i64,
    knitter: i64,
) -> Result<(), diesel::result::Error> {
    use ::market::db::products::{self as market_products, ImageDraft, ProductDraft, VariantDraft};
    use ::market::db::stalls::{self, StallFields};
    let orchard = stalls::insert(
        conn,
        &StallFields {
            slug: "orchard",
            name: "The orchard stall",
            description: "Fruit, preserves and bread from the **cooperative's orchard** and oven.",
            image_url: None,
            contact: "orchard@rose-ash.localhost",
            location: "Stall 1, Saturday market",
            // Its market days are the events app's "Market days" calendar (seeded below).
            calendar_slug: Some("market-days"),
        },
    )
    .await?;
    stalls::add_owner(conn, orchard.id, orchard_keeper).await?;
    for id in orchard_products {
        market_products::set_stall(conn, *id, orchard.id, &["orchard"]).await?;
    }
    let knits = stalls::insert(
        conn,
        &StallFields {
            slug: "fell-knits",
            name: "Fell Knits",
            description: "Hats and socks knitted from *local* wool.",
            image_url: None,
            contact: "",
            location: "Stall 4, Saturday market",
            calendar_slug: None,
        },
    )
    .await?;
    stalls::add_owner(conn, knits.id, knitter).await?;
    let variant = |size: &str, colour: &str, price_cents: i64, stock: Option<i32>| VariantDraft {
        options: [Some(size.to_owned()), Some(colour.to_owned()), None],
        sku: Some(format!("HAT-{size}-{}", &colour[..1])),
        price_cents,
        currency: "GBP".into(),
        stock,
        image_url: None,
    };
    market_products::insert(
        conn,
        knits.id,
        &ProductDraft {
            slug: "wool-hat".into(),
            title: "Wool hat".into(),
            description: "A ribbed hat in undyed wool from the fell flock.".into(),
            status: "active".into(),
            tags: vec!["wool".into(), "hats".into()],
            options: vec!["Size".into(), "Colour".into()],
            variants: vec![
                variant("S", "Grey", 1800, Some(3)),
                variant("M", "Grey", 1900, Some(5)),
                variant("M", "Brown", 1900, Some(0)),
                variant("L", "Brown", 2000, None),
            ],
            images: Vec::<ImageDraft>::new(),
        },
    )
    .await?;
    Ok(())
}

/// Calendars with an organiser, and two series: the first-Saturday market (a monthly rule) and
/// a weekly class with limited places, materialised ahead with their carry-forward jobs queued.
async fn seed_calendars(
    conn: &mut AsyncPgConnection,
    organiser: i64,
) -> Result<(), diesel::result::Error> {
    use chrono::Datelike;
    use events::db::{calendars, events as event_rows};
    use events::domain::form::EventForm;
    let fail =
        |e: events::domain::EventsError| diesel::result::Error::QueryBuilderError(Box::new(e));
    let community = calendars::default_id(conn).await?;
    let market = calendars::insert(
        conn,
        &calendars::CalendarFields {
            slug: "market-days",
            name: "Market days",
            description: "The stalls' days at the old school yard.",
        },
    )
    .await?;
    calendars::set_organisers(conn, market.id, &[organiser]).await?;
    calendars::set_organisers(conn, community, &[organiser]).await?;
    let today = Utc::now().date_naive();
    // The first Saturday of next month, and next Tuesday.
    let next_month = today
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap_or(today);
    let first_saturday = events::domain::recurrence::nth_weekday(
        next_month.year(),
        next_month.month(),
        chrono::Weekday::Sat,
        1,
    )
    .unwrap_or(next_month);
    let ahead = (8 - today.weekday().num_days_from_monday()) % 7;
    let tuesday = today + Duration::days(i64::from(if ahead == 0 { 7 } else { ahead }));
    let series = [
        (
            market.id,
            EventForm {
                title: "First Saturday market".into(),
                description:
                    "Every **first Saturday**: bread, fruit, wool and what the stalls make.".into(),
                location: "The old school yard".into(),
                address: "School Lane".into(),
                date: first_saturday.format("%Y-%m-%d").to_string(),
                start_time: "09:00".into(),
                end_time: "13:00".into(),
                time_zone: "Europe/London".into(),
                tags: "market, food".into(),
                repeat: "monthly".into(),
                count: "12".into(),
                ..EventForm::default()
            },
        ),
        (
            community,
            EventForm {
                title: "Morning yoga in the orchard".into(),
                description: "Bring a mat. Twelve places each week: book yours.".into(),
                location: "The orchard".into(),
                date: tuesday.format("%Y-%m-%d").to_string(),
                start_time: "07:30".into(),
                end_time: "08:30".into(),
                time_zone: "Europe/London".into(),
                capacity: "12".into(),
                tags: "wellbeing".into(),
                repeat: "weekly".into(),
                ..EventForm::default()
            },
        ),
        (
            community,
            EventForm {
                title: "Book club (online)".into(),
                description: "This month: *The Overstory*.".into(),
                online_url: "https://meet.example.org/rose-ash-books".into(),
                date: (today + Duration::days(12)).format("%Y-%m-%d").to_string(),
                start_time: "19:30".into(),
                end_time: "21:00".into(),
                time_zone: "Europe/London".into(),
                tags: "books".into(),
                ..EventForm::default()
            },
        ),
    ];
    let feast = EventForm {
        title: "Winter feast".into(),
        description: "Three courses from the farm's stores, in the barn. Tickets include supper."
            .into(),
        location: "The barn".into(),
        date: (today + Duration::days(21)).format("%Y-%m-%d").to_string(),
        start_time: "18:30".into(),
        end_time: "22:00".into(),
        time_zone: "Europe/London".into(),
        tags: "food".into(),
        ..EventForm::default()
    };
    let now = Utc::now();
    let mut feast_id = None;
    for (calendar_id, form) in series.into_iter().chain([(community, feast)]) {
        let ticketed = form.title == "Winter feast";
        let input = form.parse(calendar_id).map_err(fail)?;
        let event = event_rows::insert_fields(conn, &input.fields).await?;
        events::domain::series::materialise(conn, &event, now)
            .await
            .map_err(fail)?;
        if event.is_recurring() {
            events::jobs::schedule_materialise(conn, event.id, now)
                .await
                .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        }
        if ticketed {
            feast_id = Some(event.id);
        }
    }
    // The feast sells tickets through the cart (paid on the SumUp simulator in `deploy dev`).
    if let Some(id) = feast_id {
        for date in events::db::occurrences::of_event(conn, id).await? {
            events::db::tickets::insert_type(
                conn,
                &events::db::tickets::NewTicketType {
                    occurrence_id: date.id,
                    name: "Supper",
                    price_cents: 1800,
                    currency: "GBP",
                    quantity: 40,
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await?;
        }
    }
    Ok(())
}
