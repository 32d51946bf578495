//! `deploy bench blog`: the blog's public pages under load.
//!
//! Runs the six release binaries as separate processes on a scratch database holding the demo
//! content and [`POSTS`] more published posts (3–6 KB bodies, a few tags each), then measures
//! with `wrk` at 64 connections:
//! - the home page and a post page from the page cache (anonymous, `x-cache: HIT`),
//! - the same pages for a signed-in member: a real session of the demo member `demo` (made by
//!   the blog's session store, as a sign-in makes it), so the page cache steps aside and every
//!   request composes the page with the member's own `user-menu` and `mini-cart`,
//! - nginx serving the cached bytes as static files (the ceiling).
//!
//! Prints the figures next to the targets: a cached post page at ≥ 50% of its static ceiling,
//! member pages at ≥ 20× what Ghost 5 serves on this kind of machine, and their share of the
//! static ceiling (issue 17 asks for a quarter).

use std::path::Path;

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::AppName;
use shared::config::Config;
use shared::models::blog::NewPost;
use shared::models::users;

use crate::bench::{
    MemberSession, Options, ReleaseFleet, WrkResult, port, run_wrk, static_ceiling, which,
};

const DATABASE: &str = "rose_ash_bench_blog";
/// Published posts added to the demo content.
const POSTS: usize = 50;
/// The post page measured is the one whose body is nearest this size.
const MEASURED_BODY: usize = 4_500;
/// Requests made before a measurement.
const WARM_UP: usize = 20;
/// Ghost 5 on this kind of machine (req/s): home page, post page.
const GHOST_HOME: f64 = 35.0;
const GHOST_POST: f64 = 54.0;
/// Rendered pages must serve this many times Ghost's figures.
const GHOST_FACTOR: f64 = 20.0;
/// A cached post page must reach this share of the same bytes served by nginx.
const CEILING_SHARE: f64 = 0.5;
/// A member's composed page should reach this share of the static ceiling (issue 17).
const MEMBER_SHARE: f64 = 0.25;
/// The demo member whose pages are measured.
const MEMBER: &str = "demo";

const TOPICS: [&str; 10] = [
    "the orchard",
    "the bakery",
    "market day",
    "the beehives",
    "the compost heaps",
    "the seed library",
    "the members' meeting",
    "the repair café",
    "the kitchen garden",
    "the wood store",
];
const ANGLES: [&str; 5] = [
    "Notes from",
    "A season in",
    "What we learned at",
    "Getting started with",
    "The accounts of",
];
const TAGS: [&str; 10] = [
    "Orchard",
    "Baking",
    "Market",
    "Cooperative",
    "Seasons",
    "Bees",
    "Compost",
    "Repair",
    "Garden",
    "Recipes",
];
const HEADINGS: [&str; 8] = [
    "Where we started",
    "What the members decided",
    "The work so far",
    "What went wrong",
    "The numbers",
    "How to take part",
    "Next season",
    "Thanks",
];
const SENTENCES: [&str; 16] = [
    "We met on a wet Saturday morning with more volunteers than spades, which is the right way round.",
    "The cooperative bought the tools together and keeps them in the barn, where anyone with a key may borrow them.",
    "Every decision here goes to the members, and the minutes of the last meeting are on the noticeboard by the door.",
    "Half of what we grow is sold at the Saturday market; the other half goes to the members' boxes and the community kitchen.",
    "It took three attempts and one flooded greenhouse before the method settled into something we could write down.",
    "Bring gloves, a flask and a friend: the work is slow, but the company is good and the soup is better.",
    "The accounts show a small surplus this year, which the members voted to spend on fruit trees and a new oven door.",
    "Nobody here is an expert, and that is rather the point: we learn by doing it badly together until we do it well.",
    "If you missed the workshop, the notes and the photographs are on the members' page, and the next one is in spring.",
    "The bees had a hard winter, but the two strongest colonies are building up and the lime trees are about to flower.",
    "Our bakers start at five, and by the time the market opens the first batch has already sold out to the neighbours.",
    "We keep a list of who borrowed what, not because anyone is suspected of anything but because memory is short.",
    "The old apple varieties crop unevenly, so some years there is jelly for everyone and some years there is none.",
    "Compost is patience made visible: a heap turned every fortnight is ready in four months, a neglected one in a year.",
    "Anyone can propose a project at the members' meeting, and most of what we do today began as one person's idea.",
    "Write to us from your account page if you want to help, or simply come along on Saturday and ask for Ada.",
];

/// One generated post (deterministic, so a kept database and a new run agree).
struct GeneratedPost {
    slug: String,
    title: String,
    excerpt: String,
    html: String,
    tags: Vec<&'static str>,
}

fn pick<T: Copy>(items: &[T], n: usize) -> T {
    items[n % items.len()]
}

/// Post `i` (1-based): a body of 3–6 KB of headings, paragraphs, a list and a quotation.
fn generated_post(i: usize) -> GeneratedPost {
    let topic = pick(&TOPICS, i);
    let title = format!("{} {topic}", pick(&ANGLES, i / TOPICS.len() + i));
    let slug: String = title
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .chain([i.to_string().as_str()])
        .collect::<Vec<_>>()
        .join("-");
    let target = 3_000 + (i * 617) % 2_300;
    let mut html = String::with_capacity(target + 1_024);
    let mut n = i * 7;
    let mut section = 0;
    while html.len() < target {
        if section > 0 {
            html.push_str(&format!("<h2>{}</h2>", pick(&HEADINGS, i + section)));
        }
        for paragraph in 0..2 + (i + section) % 2 {
            html.push_str("<p>");
            for _ in 0..3 + (n % 3) {
                html.push_str(pick(&SENTENCES, n));
                html.push(' ');
                n += 5;
            }
            if paragraph == 1 {
                html.push_str(&format!(
                    "More in <a href=\"/tag/{}\">our other posts about it</a>.",
                    pick(&TAGS, i + section).to_lowercase()
                ));
            }
            html.push_str("</p>");
            if html.len() >= target {
                break;
            }
        }
        if html.len() < target {
            match section % 3 {
                1 => {
                    html.push_str("<ul>");
                    for k in 0..4 {
                        html.push_str(&format!("<li>{}</li>", pick(&SENTENCES, n + k * 3)));
                    }
                    html.push_str("</ul>");
                }
                2 => html.push_str(&format!(
                    "<blockquote><p>{}</p></blockquote>",
                    pick(&SENTENCES, n + 1)
                )),
                _ => {}
            }
        }
        section += 1;
    }
    GeneratedPost {
        slug,
        excerpt: format!(
            "{} {}",
            pick(&SENTENCES, i * 3),
            pick(&SENTENCES, i * 3 + 1)
        ),
        title,
        html,
        tags: (0..2 + i % 3).map(|k| pick(&TAGS, i + k * 3)).collect(),
    }
}

/// Adds the generated posts, replacing any from an earlier run (the database is kept). Returns
/// the slug of the post page to measure.
async fn seed_posts(database_url: &str) -> anyhow::Result<String> {
    let posts: Vec<GeneratedPost> = (1..=POSTS).map(generated_post).collect();
    let measured = posts
        .iter()
        .min_by_key(|p| p.html.len().abs_diff(MEASURED_BODY))
        .map(|p| p.slug.clone())
        .context("no posts to seed")?;
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let mut authors = Vec::new();
    for username in ["ada", "grace"] {
        let user = users::by_username(&mut conn, username)
            .await?
            .with_context(|| format!("the demo content has no `{username}` to write posts"))?;
        authors.push(user.id);
    }
    let now = Utc::now();
    conn.transaction(async |conn| {
        for (i, post) in posts.iter().enumerate() {
            if let Some(earlier) = blog::db::posts::post_by_slug(conn, &post.slug).await? {
                blog::db::posts::delete_post(conn, earlier.id).await?;
            }
            let row = blog::db::posts::insert_post(
                conn,
                &NewPost {
                    slug: &post.slug,
                    title: &post.title,
                    excerpt: &post.excerpt,
                    html: &post.html,
                    feature_image: None,
                    status: "published",
                    author_id: Some(pick(&authors, i)),
                    published_at: Some(now - Duration::hours(7 * (i as i64 + 1))),
                },
            )
            .await?;
            let mut ids = Vec::new();
            for name in &post.tags {
                ids.push(
                    blog::db::tags::upsert_tag(conn, &name.to_lowercase(), name)
                        .await?
                        .id,
                );
            }
            blog::db::tags::set_post_tags(conn, row.id, &ids).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    let sizes: Vec<usize> = posts.iter().map(|p| p.html.len()).collect();
    println!(
        "· seeded {POSTS} posts, bodies {}–{} bytes",
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0)
    );
    Ok(measured)
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wrk = which("wrk").context("the benchmark needs wrk: sudo apt-get install wrk")?;
    println!(
        "Rose Ash blog benchmark ({} connections, {} s each, wrk -t{})",
        options.connections, options.duration_secs, options.threads
    );
    let mut fleet = ReleaseFleet::prepare(DATABASE, "bench-blog:").await?;
    let result = async {
        let slug = seed_posts(&fleet.database_url).await?;
        fleet.start().await?;
        measure(&wrk, &options, &fleet.config, &slug).await
    }
    .await;
    fleet.stop().await;
    result
}

/// One response, as the benchmark checks it.
struct Probe {
    x_cache: Option<String>,
    body: Vec<u8>,
}

/// Warms `url` with [`WARM_UP`] requests (with `cookie` if given), then fetches it once more.
async fn warm(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> anyhow::Result<Probe> {
    let get = || {
        let req = client.get(url);
        match cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        }
    };
    for _ in 0..WARM_UP {
        get().send().await?.error_for_status()?;
    }
    let res = get().send().await?.error_for_status()?;
    let x_cache = res
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Probe {
        x_cache,
        body: res.bytes().await?.to_vec(),
    })
}

/// One line of the table.
struct Row {
    what: String,
    bytes: usize,
    result: WrkResult,
    target: String,
    ratio: String,
}

async fn measure(wrk: &Path, options: &Options, config: &Config, slug: &str) -> anyhow::Result<()> {
    let client = shared::infrastructure::http_client::internal_client()?;
    let member = MemberSession::sign_in(config, AppName::Blog, MEMBER).await?;
    let cookie = member.cookie.clone();
    let blog = format!("http://127.0.0.1:{}", port(AppName::Blog));
    let pages = [
        ("home", "/".to_owned(), GHOST_HOME),
        ("post", format!("/posts/{slug}"), GHOST_POST),
    ];
    println!(
        "· measured post: {}; member requests carry a real session of `{MEMBER}`",
        pages[1].1
    );

    let mut cached_rows = Vec::new();
    let mut rendered_rows = Vec::new();
    let mut bodies = Vec::new();
    for (name, path, ghost) in &pages {
        let url = format!("{blog}{path}");
        let cached = warm(&client, &url, None).await?;
        if cached.x_cache.as_deref() != Some("HIT") {
            bail!(
                "{path} without a session cookie answered x-cache: {:?} after warming, not HIT",
                cached.x_cache
            );
        }
        println!("· {path}: x-cache HIT after warm-up; measuring");
        let result = run_wrk(wrk, options, &url, &[]).await?;
        cached_rows.push(Row {
            what: format!("{name}, cached (x-cache: HIT)"),
            bytes: cached.body.len(),
            result,
            target: String::new(),
            ratio: String::new(),
        });

        let rendered = warm(&client, &url, Some(&cookie)).await?;
        if let Some(x_cache) = rendered.x_cache {
            bail!("{path} for a member answered x-cache: {x_cache}; it should compose");
        }
        member
            .check_signed_in(&String::from_utf8_lossy(&rendered.body))
            .with_context(|| format!("{path} with `{MEMBER}`'s session"))?;
        println!("· {path}: composed for `{MEMBER}` (signed in, no x-cache); measuring");
        let result = run_wrk(wrk, options, &url, &[format!("Cookie: {cookie}")]).await?;
        let target = GHOST_FACTOR * ghost;
        rendered_rows.push(Row {
            what: format!("{name}, member (composed every time)"),
            bytes: rendered.body.len(),
            target: format!(
                "≥ {} req/s ({GHOST_FACTOR:.0}× Ghost {ghost:.0})",
                thousands(target)
            ),
            ratio: format!(
                "{:.1}× Ghost, {}",
                result.requests_per_sec / ghost,
                verdict(result.requests_per_sec >= target)
            ),
            result,
        });
        bodies.push((*name, cached.body));
    }

    let mut static_rows = Vec::new();
    for ((row, member_row), (name, body)) in cached_rows
        .iter_mut()
        .zip(rendered_rows.iter_mut())
        .zip(&bodies)
    {
        println!("· {name}: the cached bytes as a static file; measuring");
        let (server, result) = static_ceiling(wrk, options, &client, body).await?;
        let share = row.result.requests_per_sec / result.requests_per_sec.max(1.0);
        row.ratio = format!("{:.1}% of static", 100.0 * share);
        let member_share = member_row.result.requests_per_sec / result.requests_per_sec.max(1.0);
        member_row.ratio = format!(
            "{}; {:.1}% of static, {}",
            member_row.ratio,
            100.0 * member_share,
            verdict(member_share >= MEMBER_SHARE)
        );
        if *name == "post" {
            row.target = format!("≥ {:.0}% of static", 100.0 * CEILING_SHARE);
            row.ratio = format!("{}, {}", row.ratio, verdict(share >= CEILING_SHARE));
        }
        static_rows.push(Row {
            what: format!("{name}, static file ({server})"),
            bytes: body.len(),
            result,
            target: "ceiling".into(),
            ratio: String::new(),
        });
    }

    println!(
        "\nBlog public pages: home /, post {} ({} connections, wrk -t{}, {} s each, wrk on the \
         same cores)\n",
        pages[1].1, options.connections, options.threads, options.duration_secs
    );
    println!(
        "  {:<40} {:>8} {:>8} {:>8} {:>8} {:>6}  {:<32} result",
        "measure", "bytes", "req/s", "p50 ms", "p99 ms", "errors", "target"
    );
    for row in cached_rows.iter().chain(&rendered_rows).chain(&static_rows) {
        println!(
            "  {:<40} {:>8} {:>8} {:>8.2} {:>8.2} {:>6}  {:<32} {}",
            row.what,
            row.bytes,
            thousands(row.result.requests_per_sec),
            row.result.p50_ms,
            row.result.p99_ms,
            row.result.errors,
            row.target,
            row.ratio
        );
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "BELOW TARGET" }
}

/// `12345.6` as `12,346`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_posts_are_realistic_and_distinct() {
        let posts: Vec<GeneratedPost> = (1..=POSTS).map(generated_post).collect();
        for post in &posts {
            assert!(
                (3_072..=6_144).contains(&post.html.len()),
                "{}: {} bytes",
                post.slug,
                post.html.len()
            );
            assert!((2..=4).contains(&post.tags.len()));
            assert!(!post.html.contains('['), "no embeds");
        }
        let mut slugs: Vec<&str> = posts.iter().map(|p| p.slug.as_str()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), POSTS);
    }

    #[test]
    fn formats_thousands() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_080.0), "1,080");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
    }
}
