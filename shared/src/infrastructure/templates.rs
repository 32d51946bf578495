//! Tera, loaded from `shared/templates` with the app's own templates overriding by name.
//!
//! Templates are embedded in the binary (no paths to get wrong in tests or containers).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use include_dir::{Dir, include_dir};
use serde_json::Value;
use tera::Tera;

pub static SHARED_TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Every `.html`/`.xml`/`.txt` file under `dir`, keyed by its path relative to `dir`.
fn collect(dir: &Dir<'_>, out: &mut BTreeMap<String, String>) {
    for file in dir.files() {
        let name = file.path().to_string_lossy().replace('\\', "/");
        let is_template = [".html", ".xml", ".txt"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if let Some(text) = file.contents_utf8().filter(|_| is_template) {
            out.insert(name, text.to_owned());
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// The shared templates plus `app_templates`, which win on equal names.
pub fn build(app_templates: &Dir<'_>) -> tera::Result<Tera> {
    let mut files = BTreeMap::new();
    collect(&SHARED_TEMPLATES, &mut files);
    collect(app_templates, &mut files);
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_html);
    tera.register_filter("datetime", datetime_filter);
    tera.add_raw_templates(files)?;
    Ok(tera)
}

/// Escapes what HTML needs escaped (tera's default also escapes `/`, which bloats every URL).
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 16);
    escape_html_into(&mut out, input);
    out
}

/// [`escape_html`] appended to `out`, for views that write their HTML directly.
pub fn escape_html_into(out: &mut String, input: &str) {
    let needs = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = input.as_bytes().iter().position(needs) else {
        out.push_str(input);
        return;
    };
    out.push_str(&input[..first]);
    for c in input[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
}

/// `{{ t | datetime(format="%e %B %Y", tz="Europe/London") }}` for RFC 3339 timestamps
/// (chrono's strftime): the instant as a clock in `tz` shows it (an IANA name; UTC when absent),
/// summer time included, so events and orders show local times.
fn datetime_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(s) = value.as_str() else {
        return Ok(value.clone());
    };
    let format = args
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("%e %B %Y, %H:%M");
    let parsed: DateTime<Utc> = s
        .parse()
        .map_err(|e| tera::Error::msg(format!("datetime filter: `{s}` is not a timestamp: {e}")))?;
    let shown = match args.get("tz").and_then(Value::as_str) {
        None => parsed.format(format).to_string(),
        Some(name) => {
            let tz: chrono_tz::Tz = name.parse().map_err(|_unknown| {
                tera::Error::msg(format!("datetime filter: `{name}` is not a time zone"))
            })?;
            parsed.with_timezone(&tz).format(format).to_string()
        }
    };
    Ok(Value::String(shown.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_template_parses() {
        static EMPTY: Dir<'static> = Dir::new("", &[]);
        let tera = build(&EMPTY).unwrap();
        assert!(tera.get_template_names().any(|n| n == "base.html"));
        assert!(tera.get_template_names().any(|n| n == "error.html"));
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_html("plain/text"), "plain/text");
        assert_eq!(escape_html(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&#x27;");
        assert_eq!(escape_html("é<"), "é&lt;");
    }

    #[test]
    fn datetime_formats() {
        let mut args = HashMap::new();
        args.insert("format".to_owned(), Value::String("%Y-%m-%d".into()));
        let v = datetime_filter(&Value::String("2026-11-29T10:00:00Z".into()), &args).unwrap();
        assert_eq!(v, Value::String("2026-11-29".into()));
    }

    fn shown(instant: &str, format: &str, tz: Option<&str>) -> tera::Result<Value> {
        let mut args = HashMap::new();
        args.insert("format".to_owned(), Value::String(format.into()));
        if let Some(tz) = tz {
            args.insert("tz".to_owned(), Value::String(tz.into()));
        }
        datetime_filter(&Value::String(instant.into()), &args)
    }

    #[test]
    fn datetimes_show_local_time_across_summer_time() {
        let london = |t| shown(t, "%Y-%m-%d %H:%M %Z", Some("Europe/London")).unwrap();
        // The clocks go forward at 01:00 UTC on 29 March 2026.
        assert_eq!(london("2026-03-29T00:30:00Z"), "2026-03-29 00:30 GMT");
        assert_eq!(london("2026-03-29T01:30:00Z"), "2026-03-29 02:30 BST");
        // And back at 01:00 UTC on 25 October 2026.
        assert_eq!(london("2026-10-25T00:30:00Z"), "2026-10-25 01:30 BST");
        assert_eq!(london("2026-10-25T01:30:00Z"), "2026-10-25 01:30 GMT");
        // An offset in the input is the same instant.
        assert_eq!(london("2026-07-01T14:00:00+02:00"), "2026-07-01 13:00 BST");
        // Without `tz` the filter shows UTC, as it always has.
        assert_eq!(
            shown("2026-07-01T12:00:00Z", "%H:%M", None).unwrap(),
            Value::String("12:00".into())
        );
        assert!(shown("2026-07-01T12:00:00Z", "%H:%M", Some("Mars/Olympus")).is_err());
    }

    #[test]
    fn templates_pass_a_time_zone() {
        static EMPTY: Dir<'static> = Dir::new("", &[]);
        let mut tera = build(&EMPTY).unwrap();
        tera.add_raw_template(
            "t.html",
            r#"{{ at | datetime(format="%H:%M", tz="Europe/London") }}"#,
        )
        .unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("at", "2026-12-03T18:00:00Z");
        assert_eq!(tera.render("t.html", &ctx).unwrap(), "18:00");
        ctx.insert("at", "2026-06-03T18:00:00Z");
        assert_eq!(tera.render("t.html", &ctx).unwrap(), "19:00");
    }
}
