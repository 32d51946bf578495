//! "Double knocking" (Fedify's name): signed requests go out with RFC 9421 first; a host that
//! refuses one is asked again, once, with draft-cavage, and whichever standard it took is
//! remembered per host in PostgreSQL (`ap_signature_standards`, so every worker and every
//! restart shares it) for [`REMEMBER_DAYS`]; later requests to that host knock with it first.

use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use super::fetch::{FetchError, Signer};
use super::httpsig::Standard;
use super::{ActivityPub, host_of};
use crate::db::prepared::Prepared;

/// How long a host's standard is trusted before it is asked with RFC 9421 again (servers
/// upgrade; Mastodon verifies RFC 9421 since 4.5).
pub const REMEMBER_DAYS: i32 = 30;

/// Whether an answer may mean "I could not verify that signature": 401 and 403 as Mastodon
/// answers, 400 from strict parsers, and 5xx from servers that choke on an RFC 9421 `Signature`
/// header they read as cavage (bovine answers 500). Other answers are about the request itself.
pub fn signature_refused(status: u16) -> bool {
    matches!(status, 400 | 401 | 403) || (500..600).contains(&status)
}

#[derive(QueryableByName)]
struct Remembered {
    #[diesel(sql_type = diesel::sql_types::Text)]
    standard: String,
}

/// The standard `host` took within [`REMEMBER_DAYS`], if any.
pub async fn remembered(
    conn: &mut AsyncPgConnection,
    host: &str,
) -> diesel::QueryResult<Option<Standard>> {
    let rows: Vec<Remembered> = Prepared(
        diesel::sql_query(
            "SELECT standard FROM ap_signature_standards \
             WHERE host = $1 AND remembered_at > now() - make_interval(days => $2)",
        )
        .bind::<diesel::sql_types::Text, _>(host)
        .bind::<diesel::sql_types::Integer, _>(REMEMBER_DAYS),
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| Standard::parse(&r.standard)))
}

/// Records that `host` took `standard` (now).
pub async fn remember(
    conn: &mut AsyncPgConnection,
    host: &str,
    standard: Standard,
) -> diesel::QueryResult<()> {
    Prepared(
        diesel::sql_query(
            "INSERT INTO ap_signature_standards (host, standard, remembered_at) \
             VALUES ($1, $2, now()) \
             ON CONFLICT (host) DO UPDATE SET standard = EXCLUDED.standard, remembered_at = now()",
        )
        .bind::<diesel::sql_types::Text, _>(host)
        .bind::<diesel::sql_types::Text, _>(standard.as_str()),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

impl ActivityPub {
    /// The standard to knock on `host` with first. The memory is an optimisation: if the
    /// database cannot answer, RFC 9421 is tried (and cavage after it).
    async fn first_knock(&self, host: &str) -> (Standard, bool) {
        let found = match self.conn().await {
            Ok(mut conn) => remembered(&mut conn, host).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match found {
            Ok(Some(standard)) => (standard, true),
            Ok(None) => (Standard::Rfc9421, false),
            Err(e) => {
                tracing::warn!(error = %e, host, "reading the signature standard failed");
                (Standard::Rfc9421, false)
            }
        }
    }

    async fn note_standard(&self, host: &str, standard: Standard) {
        let stored = match self.conn().await {
            Ok(mut conn) => remember(&mut conn, host, standard)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = stored {
            tracing::warn!(error = %e, host, "remembering the signature standard failed");
        }
    }

    /// POSTs a signed activity to `inbox`, knocking twice if need be; returns the last status.
    pub async fn deliver(
        &self,
        inbox: &str,
        body: &[u8],
        signer: &Signer<'_>,
    ) -> Result<u16, FetchError> {
        let host = host_of(inbox).ok_or_else(|| FetchError::BadUrl(inbox.to_owned()))?;
        let (first, known) = self.first_knock(&host).await;
        let status = self.fetcher.deliver(inbox, body, signer, first).await?;
        if (200..300).contains(&status) {
            if !known {
                self.note_standard(&host, first).await;
            }
            return Ok(status);
        }
        if !signature_refused(status) {
            return Ok(status);
        }
        let second = first.other();
        let retried = self.fetcher.deliver(inbox, body, signer, second).await?;
        if (200..300).contains(&retried) {
            tracing::info!(
                host,
                standard = second.as_str(),
                first = status,
                "signature standard switched"
            );
            self.note_standard(&host, second).await;
        }
        Ok(retried)
    }

    /// GETs an ActivityStreams document signed by `signer`, knocking twice if need be. Only a
    /// second knock that works is remembered: a plain success says nothing when the host
    /// ignores signatures on GET.
    pub async fn fetch_signed(&self, url: &str, signer: &Signer<'_>) -> Result<Value, FetchError> {
        let host = host_of(url).ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
        let (first, _known) = self.first_knock(&host).await;
        match self.fetcher.document_as(url, Some(signer), first).await {
            Err(FetchError::Status(status)) if signature_refused(status) => {
                let second = first.other();
                let doc = self.fetcher.document_as(url, Some(signer), second).await?;
                self.note_standard(&host, second).await;
                Ok(doc)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_answers_mean_the_signature_was_refused() {
        for s in [400, 401, 403, 500, 502, 503] {
            assert!(signature_refused(s), "{s}");
        }
        for s in [200, 202, 301, 404, 408, 410, 413, 422, 429] {
            assert!(!signature_refused(s), "{s}");
        }
    }
}
