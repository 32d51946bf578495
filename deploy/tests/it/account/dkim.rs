//! DKIM: mail signed by our mailer verifies with a third-party verifier, Python's `dkimpy` (from
//! PyPI into a venv under target/), whose DNS lookup is answered with the test key's public
//! half; the signature covers the list headers, so changing one breaks it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use shared::config::Config;
use shared::infrastructure::mail::{Email, Mailer};

use crate::support::mail_sink;

const DKIMPY: &str = "dkimpy==1.1.8";

/// A Python with dkimpy (the system's, else a venv made once under target/); `None` (the test
/// skips, saying why) only when it cannot be installed.
pub fn python() -> Option<&'static PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| crate::support::python::with("dkimpy-venv", "dkim", DKIMPY))
        .as_ref()
}

/// dkimpy's verdict on `raw`, with the header names the signature covers; the DNS TXT record
/// of the selector is `record`.
pub fn verify(python: &PathBuf, raw: &[u8], record: &str) -> (bool, Vec<String>) {
    const SCRIPT: &str = r#"
import sys, json, dkim
record = sys.argv[1].encode()
msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg)
try:
    ok = d.verify(dnsfunc=lambda name, timeout=5: record)
except dkim.DKIMException as e:
    sys.stderr.write("dkimpy: %s\n" % e)
    ok = False
signed = [(h[0] if isinstance(h, tuple) else h).decode().lower() for h in (d.signed_headers or [])] if ok else []
print(json.dumps({"ok": bool(ok), "h": signed}))
"#;
    let mut child = Command::new(python)
        .args(["-c", SCRIPT, record])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dkimpy failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = v["h"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (v["ok"].as_bool().unwrap(), h)
}

/// A test key: (its PEM, the selector's DNS TXT record).
pub fn test_key() -> (String, String) {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let pem = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
    let public = openssl::base64::encode_block(&rsa.public_key_to_der().unwrap());
    (pem, format!("v=DKIM1; k=rsa; p={public}"))
}

/// The message as the SMTP sink stored it, with the CRLF line ends of the wire.
pub fn wire(raw: &str) -> Vec<u8> {
    raw.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

#[actix_web::test]
async fn signed_mail_verifies_with_dkimpy_and_covers_the_list_headers() {
    let Some(python) = python() else { return };
    let (pem, record) = test_key();
    let smtp = mail_sink().url();
    let config = Config::from_lookup(move |k| match k {
        "SMTP_URL" => Some(smtp.clone()),
        "DKIM_PRIVATE_KEY" => Some(pem.clone()),
        "DKIM_DOMAIN" => Some("rose-ash.localhost".into()),
        "DKIM_SELECTOR" => Some("test".into()),
        _ => None,
    })
    .unwrap();
    let mailer = Mailer::from_config(&config).unwrap();
    assert!(mailer.signs());

    // A plain message, as sign-up and reset mail go.
    mailer
        .send(
            "dkim-plain@example.org",
            "Plain",
            "Just text.\n\n.leading dot\n",
        )
        .await
        .unwrap();
    let plain = mail_sink()
        .wait_for("dkim-plain@example.org", 1)
        .await
        .unwrap();
    let (ok, signed) = verify(python, &wire(&plain.raw), &record);
    assert!(ok, "dkimpy rejects the plain mail:\n{}", plain.raw);
    for h in ["from", "to", "subject", "date", "message-id"] {
        assert!(signed.contains(&h.to_owned()), "{h} not signed: {signed:?}");
    }

    // A newsletter-shaped one: text + HTML and the list headers.
    let email = Email {
        to: "dkim-list@example.org".into(),
        subject: "The Letter — Nº 1".into(),
        text: "Hello, reader.\n".into(),
        html: Some("<p>Hello, <b>reader</b>.</p>".into()),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://account.rose-ash.localhost/unsubscribe/1-abc>, <mailto:noreply@rose-ash.localhost?subject=unsubscribe%201-abc>".into(),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
        message_id: None,
    };
    mailer.send_email(&email).await.unwrap();
    let mail = mail_sink()
        .wait_for("dkim-list@example.org", 1)
        .await
        .unwrap();
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);
    let raw = wire(&mail.raw);
    let (ok, signed) = verify(python, &raw, &record);
    assert!(ok, "dkimpy rejects the list mail:\n{}", mail.raw);
    assert!(
        signed.contains(&"list-unsubscribe".to_owned()),
        "{signed:?}"
    );
    assert!(
        signed.contains(&"list-unsubscribe-post".to_owned()),
        "{signed:?}"
    );

    // Changing the unsubscribe address (or the body) breaks the signature.
    let text = String::from_utf8(raw).unwrap();
    let tampered = text.replacen("unsubscribe/1-abc", "unsubscribe/2-abc", 1);
    assert_ne!(tampered, text);
    assert!(!verify(python, tampered.as_bytes(), &record).0);
    let tampered = text.replacen("Hello, reader.", "Hello, victim.", 1);
    assert!(!verify(python, tampered.as_bytes(), &record).0);
}
