//! The real thing: headless Chromium (Debian's `chromium` + `chromedriver`, driven over
//! WebDriver by `fantoccini`) on the `*.localhost` hosts of a test fleet. Sign up at federation,
//! one click signs in on the blog and on the cart, signing out on account signs out the blog.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use shared::AppName;

use crate::support::{TestFleet, mail_sink};

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, in a process group of its own with the browser it starts.
/// Dropped (also when a test fails before closing its browser), the whole group is killed and
/// the browser's profile removed.
pub(crate) struct Driver {
    child: tokio::process::Child,
    url: String,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub(crate) async fn start_driver() -> Option<Driver> {
    start_driver_in(None).await
}

/// As [`start_driver`], with the browser's clock in the IANA time zone `tz` (Chromium reads
/// `TZ` from the environment chromedriver passes on).
pub(crate) async fn start_driver_in(tz: Option<&str>) -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        let message = "the browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("skipping: {message}");
        return None;
    }
    let port = shared::testing::ephemeral_listener()
        .local_addr()
        .unwrap()
        .port();
    let mut command = tokio::process::Command::new(CHROMEDRIVER);
    if let Some(tz) = tz {
        command.env("TZ", tz);
    }
    let child = command
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            let profile =
                std::env::temp_dir().join(format!("ra-chromium-{}-{port}", std::process::id()));
            return Some(Driver {
                child,
                url,
                profile,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,900",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// WebDriver's Add Cookie for a host-only, HttpOnly cookie on the current page's host, as an
/// app's sign-in sets it. (`Client::add_cookie` cannot: fantoccini sends `"domain": null`,
/// which chromedriver refuses, and Chrome refuses a domain cookie for `blog.localhost`.)
#[derive(Debug)]
pub(crate) struct AddHostCookie {
    pub(crate) name: String,
    pub(crate) value: String,
}

impl WebDriverCompatibleCommand for AddHostCookie {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/cookie",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let cookie = json!({ "cookie": {
            "name": self.name, "value": self.value, "path": "/", "httpOnly": true, "sameSite": "Lax",
        }});
        (http::Method::POST, Some(cookie.to_string()))
    }
}

async fn text_of(client: &Client, css: &str) -> Option<String> {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.ok(),
        Err(_) => None,
    }
}

#[actix_web::test]
async fn a_browser_signs_up_signs_in_everywhere_with_one_click_and_signs_out_everywhere() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    let client = browser(&driver).await;
    let email = crate::support::people::address(&t, "marie");

    // Sign up on federation.
    client
        .goto(&t.fleet.at(AppName::Federation, "/signup"))
        .await
        .unwrap();
    client
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("marie")
        .await
        .unwrap();
    client
        .find(Locator::Id("display_name"))
        .await
        .unwrap()
        .send_keys("Marie Jaëll")
        .await
        .unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(&email)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("touch and the piano")
        .await
        .unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//h1[contains(., 'Check your e-mail')]"))
        .await
        .unwrap();
    let mail = mail_sink()
        .wait_for(&email, 1)
        .await
        .expect("a confirmation mail");
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains("/verify-email/"))
        .unwrap();
    // The link opens a page with a button (a mail scanner's fetch confirms nothing); once
    // confirmed, the page offers sign-in.
    client.goto(&link).await.unwrap();
    client
        .find(Locator::Css(".auth-card form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//h1[contains(., 'Your address is confirmed')]",
        ))
        .await
        .unwrap();
    client
        .find(Locator::Css(".auth-card a.button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys("marie")
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("touch and the piano")
        .await
        .unwrap();
    client
        .find(Locator::Css(".auth-card form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".user-menu .who"))
        .await
        .unwrap();

    // The blog: one click on "Sign in" and the member is in, no typing.
    for app in [AppName::Blog, AppName::Cart] {
        client.goto(&t.fleet.at(app, "/")).await.unwrap();
        client
            .find(Locator::Css(".user-menu a.sign-in"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let who = client
            .wait()
            .for_element(Locator::Css(".user-menu .who"))
            .await
            .unwrap();
        assert_eq!(who.text().await.unwrap(), "Marie Jaëll", "{app}");
        let url = client.current_url().await.unwrap();
        assert_eq!(url.host_str(), t.fleet.url(app).host_str(), "back on {app}");
    }

    // Account: sign in, then sign out (its confirmation page) ...
    client
        .goto(&t.fleet.at(AppName::Account, "/"))
        .await
        .unwrap();
    client
        .find(Locator::Css(".user-menu a.sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".user-menu .who"))
        .await
        .unwrap();
    client
        .find(Locator::Css(".user-menu a.sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//button[contains(., 'Sign out')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".user-menu a.sign-in"))
        .await
        .unwrap();
    assert_eq!(
        client.current_url().await.unwrap().host_str(),
        t.fleet.url(AppName::Account).host_str()
    );

    // ... and the blog shows the member signed out on the next page load.
    client.goto(&t.fleet.at(AppName::Blog, "/")).await.unwrap();
    assert!(
        text_of(&client, ".user-menu .who").await.is_none(),
        "the blog forgot the member"
    );
    assert_eq!(
        text_of(&client, ".user-menu a.sign-in").await.as_deref(),
        Some("Sign in")
    );
    client.close().await.unwrap();
    t.stop().await;
}
