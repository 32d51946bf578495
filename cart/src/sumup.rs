//! SumUp's Checkouts and Refunds API, as its official OpenAPI document describes the wire
//! format (`../shared/reference/sumup-openapi.json`): create a hosted checkout, read one, find
//! one by our reference, deactivate one, refund a transaction. Amounts travel in major units
//! (floats) on the wire; [`to_cents`] and [`to_major`] convert at the edge so the rest of the
//! cart only sees integer minor units.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::SumUpConfig;

/// What SumUp says a checkout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum CheckoutStatus {
    #[serde(rename = "PENDING")]
    Pending,
    #[serde(rename = "FAILED")]
    Failed,
    #[serde(rename = "PAID")]
    Paid,
    #[serde(rename = "EXPIRED")]
    Expired,
}

/// A transaction attached to a checkout (only the fields the cart reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Transaction {
    pub id: Option<String>,
    pub status: Option<String>,
}

/// `Checkout` / `CheckoutSuccess` (only the fields the cart reads; unknown ones are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Checkout {
    pub id: String,
    pub checkout_reference: String,
    pub amount: f64,
    pub currency: String,
    pub merchant_code: Option<String>,
    pub status: CheckoutStatus,
    pub hosted_checkout_url: Option<String>,
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

impl Checkout {
    /// The successful transaction that paid the checkout, if any.
    pub fn paid_transaction(&self) -> Option<String> {
        self.transaction_id.clone().or_else(|| {
            self.transactions
                .iter()
                .find(|t| t.status.as_deref() == Some("SUCCESSFUL"))
                .and_then(|t| t.id.clone())
        })
    }
}

/// `CheckoutCreateRequest`.
#[derive(Debug, Clone, Serialize)]
pub struct NewCheckout<'a> {
    pub checkout_reference: &'a str,
    pub amount: f64,
    pub currency: &'a str,
    pub merchant_code: &'a str,
    pub description: &'a str,
    /// SumUp's webhook target (server to server), not the browser's way back.
    pub return_url: &'a str,
    /// Where the hosted page sends the buyer afterwards.
    pub redirect_url: &'a str,
    pub valid_until: String,
    pub hosted_checkout: HostedCheckout,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct HostedCheckout {
    pub enabled: bool,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SumUpError {
    /// SumUp could not be reached or answered too slowly: worth trying again.
    #[error("SumUp unreachable: {0}")]
    Unreachable(String),
    /// SumUp refused the request; `code` is its `error_code` when it gave one.
    #[error("SumUp refused ({status}): {code} {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("unexpected answer from SumUp: {0}")]
    Unexpected(String),
}

impl SumUpError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SumUpError::Unreachable(_) => true,
            SumUpError::Refused { status, .. } => *status == 429 || *status >= 500,
            SumUpError::Unexpected(_) => false,
        }
    }
}

/// Minor units to SumUp's major units (every currency the cart sells has two decimals).
pub fn to_major(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// SumUp's major units back to minor units, rounded (a float never carries exact cents).
pub fn to_cents(amount: f64) -> Option<i64> {
    let cents = (amount * 100.0).round();
    (cents.is_finite() && cents.abs() < 9.0e15).then_some(cents as i64)
}

#[derive(Clone)]
pub struct SumUp {
    http: reqwest::Client,
    config: SumUpConfig,
}

impl std::fmt::Debug for SumUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SumUp")
            .field("api_url", &self.config.api_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SumUp {
    pub fn new(config: SumUpConfig) -> reqwest::Result<SumUp> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(SumUp { http, config })
    }

    pub fn merchant_code(&self) -> &str {
        &self.config.merchant_code
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.config.api_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.config.api_key.expose())
            .header("accept", "application/json")
    }

    async fn send(rb: reqwest::RequestBuilder) -> Result<reqwest::Response, SumUpError> {
        let res = rb
            .send()
            .await
            .map_err(|e| SumUpError::Unreachable(e.without_url().to_string()))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        let parsed: Option<ErrorBody> = serde_json::from_str(&body).ok();
        Err(SumUpError::Refused {
            status,
            code: parsed
                .as_ref()
                .and_then(|b| b.error_code.clone())
                .unwrap_or_default(),
            message: parsed
                .and_then(|b| b.message)
                .unwrap_or_else(|| body.chars().take(200).collect()),
        })
    }

    async fn json<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, SumUpError> {
        let bytes = res
            .bytes()
            .await
            .map_err(|e| SumUpError::Unreachable(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| SumUpError::Unexpected(e.to_string()))
    }

    /// `POST /v0.1/checkouts`. A `409 DUPLICATED_CHECKOUT` (we created it before and crashed
    /// before recording it, or a retry raced) is recovered by reading the checkout back by
    /// our reference.
    pub async fn create_checkout(&self, new: &NewCheckout<'_>) -> Result<Checkout, SumUpError> {
        let created = Self::send(
            self.request(reqwest::Method::POST, "/v0.1/checkouts")
                .json(new),
        )
        .await;
        match created {
            Ok(res) => Self::json(res).await,
            Err(SumUpError::Refused {
                status: 409, code, ..
            }) if code == "DUPLICATED_CHECKOUT" => self
                .checkout_by_reference(new.checkout_reference)
                .await?
                .ok_or_else(|| {
                    SumUpError::Unexpected(
                        "DUPLICATED_CHECKOUT, yet no checkout has the reference".into(),
                    )
                }),
            Err(e) => Err(e),
        }
    }

    /// `GET /v0.1/checkouts/{id}`: the only source the cart believes about a payment.
    pub async fn checkout(&self, id: &str) -> Result<Checkout, SumUpError> {
        let path = format!("/v0.1/checkouts/{}", urlencode(id));
        let res = Self::send(self.request(reqwest::Method::GET, &path)).await?;
        Self::json(res).await
    }

    /// `GET /v0.1/checkouts?checkout_reference=…`.
    pub async fn checkout_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<Checkout>, SumUpError> {
        let res = Self::send(
            self.request(reqwest::Method::GET, "/v0.1/checkouts")
                .query(&[("checkout_reference", reference)]),
        )
        .await?;
        let list: Vec<Checkout> = Self::json(res).await?;
        Ok(list.into_iter().find(|c| c.checkout_reference == reference))
    }

    /// `DELETE /v0.1/checkouts/{id}`: no payment can be made on it any more. A checkout
    /// already processed answers 409 (the caller reads it again to learn how).
    pub async fn deactivate(&self, id: &str) -> Result<Checkout, SumUpError> {
        let path = format!("/v0.1/checkouts/{}", urlencode(id));
        let res = Self::send(self.request(reqwest::Method::DELETE, &path)).await?;
        Self::json(res).await
    }

    /// `POST /v1.0/merchants/{code}/payments/{txn}/refunds`: `amount` in minor units, `None`
    /// for the whole transaction.
    pub async fn refund(&self, transaction_id: &str, cents: Option<i64>) -> Result<(), SumUpError> {
        let path = format!(
            "/v1.0/merchants/{}/payments/{}/refunds",
            urlencode(&self.config.merchant_code),
            urlencode(transaction_id)
        );
        let body = match cents {
            Some(c) => serde_json::json!({ "amount": to_major(c) }),
            None => serde_json::json!({}),
        };
        Self::send(self.request(reqwest::Method::POST, &path).json(&body))
            .await
            .map(drop)
    }
}

/// A path segment: RFC 3986 unreserved characters stay as they are.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_exactly_at_the_edge() {
        assert_eq!(to_major(1010), 10.1);
        assert_eq!(to_cents(10.1), Some(1010));
        assert_eq!(to_cents(0.29), Some(29));
        assert_eq!(to_cents(1100.0), Some(110_000));
        assert_eq!(to_cents(f64::NAN), None);
        assert_eq!(urlencode("4e42-63/x y"), "4e42-63%2Fx%20y");
        for cents in [1, 29, 99, 1010, 123_456_789] {
            assert_eq!(to_cents(to_major(cents)), Some(cents));
        }
    }

    #[test]
    fn a_paid_checkout_names_its_transaction() {
        let c: Checkout = serde_json::from_str(
            r#"{"id":"c1","checkout_reference":"RA-1","amount":10.1,"currency":"EUR",
                "status":"PAID","transactions":[{"id":"t1","status":"SUCCESSFUL"}]}"#,
        )
        .unwrap();
        assert_eq!(c.status, CheckoutStatus::Paid);
        assert_eq!(c.paid_transaction().as_deref(), Some("t1"));
    }
}
