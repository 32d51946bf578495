//! `/unsubscribe/{token}`: one list's unsubscribe address, as campaigns put it in
//! `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
//!
//! The POST comes from a mail provider's server, without cookies and with any or no `Origin`
//! (the CSRF guard exempts the path: the signed link is the credential). Its body says
//! `List-Unsubscribe=One-Click`, urlencoded or as multipart/form-data; it unsubscribes and
//! answers 200 with a page, never a redirect, and the same again on a repeat. The GET only
//! shows a button that sends that POST, so a prefetching scanner changes nothing.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::{AppContext, PageRequest};

use crate::domain::{NewsletterError, Unsubscribed};
use crate::state::AccountState;
use crate::views::{self, ListView, UnsubscribePage};

pub async fn show(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let found = super::newsletters(&ctx, &state)
        .unsubscribe_link(&token)
        .await?;
    render(&ctx, &page, &found, &token).await
}

pub async fn one_click(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, NewsletterError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let service = super::newsletters(&ctx, &state);
    // A bad link is a 404 whatever the body says.
    service.unsubscribe_link(&token).await?;
    if !asks_one_click(content_type, &body) {
        return Err(NewsletterError::NotOneClick);
    }
    let done = service.unsubscribe(&token).await?;
    render(&ctx, &page, &done, &token).await
}

async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    found: &Unsubscribed,
    token: &str,
) -> Result<HttpResponse, NewsletterError> {
    let view = UnsubscribePage {
        newsletter: ListView::from(&found.newsletter),
        email: &found.subscriber.email,
        off: found.off,
        action: format!("/unsubscribe/{token}"),
        preferences_url: super::preferences_url(ctx, &found.preferences_token),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(page, "unsubscribe.html", context, Vec::new())
        .await?)
}

const FIELD: &str = "List-Unsubscribe";
const ONE_CLICK: &str = "One-Click";

/// Whether a POST body carries `List-Unsubscribe=One-Click` (urlencoded or multipart).
fn asks_one_click(content_type: &str, body: &[u8]) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "multipart/form-data" => boundary(content_type)
            .is_some_and(|b| multipart_field(body, &b, FIELD).as_deref() == Some(ONE_CLICK)),
        // RFC 8058 bodies are urlencoded; a missing type is read the same way.
        _ => url::form_urlencoded::parse(body).any(|(k, v)| k == FIELD && v == ONE_CLICK),
    }
}

/// The `boundary` parameter of a multipart content type.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// The value of the text field `name` in a multipart/form-data body (RFC 7578).
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    body.split(delimiter.as_str()).find_map(|part| {
        let (headers, value) = part
            .split_once("\r\n\r\n")
            .or_else(|| part.split_once("\n\n"))?;
        let named = headers.lines().any(|line| {
            let line = line.to_ascii_lowercase();
            line.starts_with("content-disposition:")
                && line.contains("form-data")
                && (line.contains(&format!("name=\"{}\"", name.to_ascii_lowercase()))
                    || line.contains(&format!("name={}", name.to_ascii_lowercase())))
        });
        named.then(|| {
            value
                .strip_suffix("\r\n")
                .or_else(|| value.strip_suffix('\n'))
                .unwrap_or(value)
                .to_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_click_bodies_in_both_encodings() {
        assert!(asks_one_click(
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=One-Click"
        ));
        assert!(asks_one_click("", b"List-Unsubscribe=One-Click"));
        assert!(!asks_one_click(
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=Later"
        ));
        assert!(!asks_one_click("application/x-www-form-urlencoded", b""));
        let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
        assert!(asks_one_click(
            "multipart/form-data; boundary=XyZ",
            multipart.as_bytes()
        ));
        assert!(asks_one_click(
            "multipart/form-data; boundary=\"XyZ\"",
            multipart.as_bytes()
        ));
        assert!(!asks_one_click(
            "multipart/form-data; boundary=Other",
            multipart.as_bytes()
        ));
        let other =
            "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
        assert!(!asks_one_click(
            "multipart/form-data; boundary=XyZ",
            other.as_bytes()
        ));
    }
}
