//! A small stand-in for a browser, for protocol-level tests: a cookie jar per host, redirects
//! followed one by one, and the `Origin`/`Sec-Fetch-Site` headers a browser sends with forms.
//! (The real browser test drives Chromium.)

use std::collections::HashMap;
use std::sync::Mutex;

use crate::support::{Page, page};
use actix_web::cookie::Cookie;

pub struct Browser {
    client: reqwest::Client,
    jar: Mutex<HashMap<String, HashMap<String, String>>>,
}

/// `host[:port]` of a URL.
fn authority(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

fn origin(url: &str) -> String {
    url::Url::parse(url).unwrap().origin().ascii_serialization()
}

/// The value of a hidden input `name` in `html`.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            client: shared::testing::http_client(),
            jar: Mutex::new(HashMap::new()),
        }
    }

    fn cookie_header(&self, url: &str) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        let cookies = jar.get(&authority(url))?;
        (!cookies.is_empty()).then(|| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn store(&self, url: &str, res: &reqwest::Response) {
        let mut jar = self.jar.lock().unwrap();
        let cookies = jar.entry(authority(url)).or_default();
        for header in res.headers().get_all("set-cookie") {
            let Ok(c) = Cookie::parse(header.to_str().unwrap().to_owned()) else {
                continue;
            };
            let expired =
                c.max_age().is_some_and(|a| a.is_zero() || a.is_negative()) || c.value().is_empty();
            if expired {
                cookies.remove(c.name());
            } else {
                cookies.insert(c.name().to_owned(), c.value().to_owned());
            }
        }
    }

    /// The cookie `name` this browser holds for `url`'s host.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap()
            .get(&authority(url))?
            .get(name)
            .cloned()
    }

    /// One GET, no redirect followed.
    pub async fn get(&self, url: &str) -> (Page, Option<String>) {
        let mut req = self.client.get(url);
        if let Some(c) = self.cookie_header(url) {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.store(url, &res);
        let location = res
            .headers()
            .get("location")
            .map(|l| absolute(url, l.to_str().unwrap()));
        (page(res).await, location)
    }

    /// GETs `url` and follows redirects; returns the final URL and page.
    pub async fn visit(&self, url: &str) -> (String, Page) {
        let mut url = url.to_owned();
        for _ in 0..15 {
            let (page, location) = self.get(&url).await;
            match location {
                Some(next) if page.status.is_redirection() => url = next,
                _ => return (url, page),
            }
        }
        panic!("too many redirects from {url}");
    }

    /// POSTs a form as if submitted from a page at `from`; does not follow the answer's redirect.
    pub async fn submit_raw(
        &self,
        from: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> (Page, Option<String>) {
        let same_origin = origin(from) == origin(action);
        let mut req = self
            .client
            .post(action)
            .header("origin", origin(from))
            .header(
                "sec-fetch-site",
                if same_origin {
                    "same-origin"
                } else {
                    "same-site"
                },
            )
            .form(form);
        if let Some(c) = self.cookie_header(action) {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.store(action, &res);
        let location = res
            .headers()
            .get("location")
            .map(|l| absolute(action, l.to_str().unwrap()));
        (page(res).await, location)
    }

    /// POSTs a form as if submitted from a page at `from`; follows redirects after it.
    pub async fn submit(&self, from: &str, action: &str, form: &[(&str, &str)]) -> (String, Page) {
        let same_origin = origin(from) == origin(action);
        let mut req = self
            .client
            .post(action)
            .header("origin", origin(from))
            .header(
                "sec-fetch-site",
                if same_origin {
                    "same-origin"
                } else {
                    "same-site"
                },
            )
            .form(form);
        if let Some(c) = self.cookie_header(action) {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.store(action, &res);
        let location = res
            .headers()
            .get("location")
            .map(|l| absolute(action, l.to_str().unwrap()));
        let status = res.status();
        match location {
            Some(next) if status.is_redirection() => self.visit(&next).await,
            _ => (action.to_owned(), page(res).await),
        }
    }
}

pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}
