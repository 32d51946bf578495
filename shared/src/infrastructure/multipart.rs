//! `multipart/form-data` (RFC 7578) read from a buffered body: the forms that upload files (a
//! post's images). Parts are borrowed from the body; only `Content-Disposition` (`name`,
//! `filename`) and `Content-Type` are read from each part's headers.
//!
//! [`Parts`] also reads a body's beginning: the CSRF guard looks for the `csrf_token` field at
//! the head of a multipart form without buffering the files behind it.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    /// Present (possibly empty: no file chosen) for a file input.
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: &'a [u8],
}

impl Part<'_> {
    /// The part as text (a plain field), if it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.body).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the form ends early")]
    Incomplete,
    #[error("the form is malformed: {0}")]
    Malformed(&'static str),
}

/// Most header bytes a part may carry.
const MAX_PART_HEADERS: usize = 8 * 1024;
/// Most parts a form may have.
const MAX_PARTS: usize = 64;

/// The boundary of a `multipart/form-data` content type, if that is what it is.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        // RFC 2046: 1 to 70 characters.
        (!v.is_empty() && v.len() <= 70 && !v.contains(['\r', '\n'])).then(|| v.to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|b| *b == first) {
            None => return None,
            Some(p) => i += p,
        }
        if haystack[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The parts of a body in order; an `Err` ends the iteration (`Incomplete` when the body
/// stops before the closing delimiter).
pub struct Parts<'a> {
    body: &'a [u8],
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    /// Where the next part's headers begin; `None` when done.
    at: Option<usize>,
    count: usize,
}

impl<'a> Parts<'a> {
    pub fn new(body: &'a [u8], boundary: &str) -> Parts<'a> {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        // The first delimiter may open the body without the CRLF before it.
        let first = if body.starts_with(&delimiter[2..]) {
            Some(delimiter.len() - 2)
        } else {
            find(body, &delimiter, 0).map(|i| i + delimiter.len())
        };
        Parts {
            body,
            delimiter,
            at: first,
            count: 0,
        }
    }

    /// Right after a delimiter: `--` ends the form, else CRLF opens a part.
    fn after_delimiter(&self, i: usize) -> Result<Option<usize>, MultipartError> {
        let rest = &self.body[i.min(self.body.len())..];
        if rest.len() < 2 {
            return Err(MultipartError::Incomplete);
        }
        if rest.starts_with(b"--") {
            return Ok(None);
        }
        // Transport padding (spaces, tabs) may precede the CRLF.
        let pad = rest
            .iter()
            .take_while(|b| matches!(**b, b' ' | b'\t'))
            .count();
        match &rest[pad..] {
            [b'\r', b'\n', ..] => Ok(Some(i + pad + 2)),
            [] | [b'\r'] => Err(MultipartError::Incomplete),
            _ => Err(MultipartError::Malformed("no line break after a boundary")),
        }
    }

    fn next_part(&mut self, start: usize) -> Result<(Part<'a>, Option<usize>), MultipartError> {
        let Some(start) = self.after_delimiter(start)? else {
            return Err(MultipartError::Malformed("end"));
        };
        let head_end = match find(self.body, b"\r\n\r\n", start) {
            Some(e) if e - start <= MAX_PART_HEADERS => e,
            Some(_) => return Err(MultipartError::Malformed("part headers too long")),
            None if self.body.len() - start > MAX_PART_HEADERS => {
                return Err(MultipartError::Malformed("part headers too long"));
            }
            None => return Err(MultipartError::Incomplete),
        };
        let head = std::str::from_utf8(&self.body[start..head_end])
            .map_err(|_not_utf8| MultipartError::Malformed("part headers are not UTF-8"))?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-disposition") {
                let (disposition, params) = disposition_params(v);
                if !disposition.eq_ignore_ascii_case("form-data") {
                    return Err(MultipartError::Malformed("not form-data"));
                }
                for (pk, pv) in params {
                    if pk.eq_ignore_ascii_case("name") {
                        name = Some(pv);
                    } else if pk.eq_ignore_ascii_case("filename") {
                        filename = Some(pv);
                    }
                }
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        let name = name.ok_or(MultipartError::Malformed("a part without a name"))?;
        let body_start = head_end + 4;
        let Some(body_end) = find(self.body, &self.delimiter, body_start) else {
            return Err(MultipartError::Incomplete);
        };
        let next = self.after_delimiter(body_end + self.delimiter.len())?;
        Ok((
            Part {
                name,
                filename,
                content_type,
                body: &self.body[body_start..body_end],
            },
            next,
        ))
    }
}

impl<'a> Iterator for Parts<'a> {
    type Item = Result<Part<'a>, MultipartError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = match self.at.take() {
            Some(s) => s,
            None if self.count == 0 => {
                self.count = 1;
                return Some(Err(if self.body.len() < self.delimiter.len() + 2 {
                    MultipartError::Incomplete
                } else {
                    MultipartError::Malformed("no boundary")
                }));
            }
            None => return None,
        };
        if self.count >= MAX_PARTS {
            return Some(Err(MultipartError::Malformed("too many parts")));
        }
        self.count += 1;
        // The opening delimiter is consumed in `new`; `start` points just after a delimiter.
        match self.next_part(start) {
            Ok((part, next)) => {
                // `next` points at the next part's headers: step back to "after the delimiter"
                // form, which `next_part` expects.
                self.at = next.map(|n| n - 2);
                Some(Ok(part))
            }
            Err(MultipartError::Malformed("end")) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// `form-data; name="a"; filename="b.png"` → ("form-data", [(name, a), (filename, b.png)]).
fn disposition_params(v: &str) -> (String, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut chars = v.trim().chars().peekable();
    let mut disposition = String::new();
    while let Some(c) = chars.peek().copied() {
        if c == ';' {
            break;
        }
        disposition.push(c);
        chars.next();
    }
    while chars.next().is_some() {
        // After a ';': key=value or key="quoted value".
        let mut key = String::new();
        while let Some(c) = chars.peek().copied() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        c => value.push(c),
                    }
                }
                while chars.peek().is_some_and(|c| *c != ';') {
                    chars.next();
                }
            } else {
                while let Some(c) = chars.peek().copied() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_owned();
            }
        }
        let key = key.trim().to_owned();
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    (disposition.trim().to_owned(), out)
}

/// Every part of a complete body.
pub fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, MultipartError> {
    Parts::new(body, boundary).collect()
}

/// The value of the plain field `name` if a complete part carrying it is at the beginning of
/// `prefix` (before any part that is not complete yet). `Err(Incomplete)`: read more.
pub fn field_in_prefix(
    prefix: &[u8],
    boundary: &str,
    name: &str,
) -> Result<Option<String>, MultipartError> {
    for part in Parts::new(prefix, boundary) {
        let part = part?;
        if part.name == name && part.filename.is_none() {
            return Ok(part.text().map(str::to_owned));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form as Chromium sends it (boundary and header layout).
    const FORM: &[u8] = b"------WebKitFormBoundaryx7Jq\r\n\
Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n\
tok3n\r\n\
------WebKitFormBoundaryx7Jq\r\n\
Content-Disposition: form-data; name=\"text\"\r\n\r\n\
line one\r\nline two\r\n\
------WebKitFormBoundaryx7Jq\r\n\
Content-Disposition: form-data; name=\"media\"; filename=\"a \\\"b\\\".png\"\r\n\
Content-Type: image/png\r\n\r\n\
\x89PNG\r\n\x1a\n\r\n--not-the-boundary\r\n\
------WebKitFormBoundaryx7Jq\r\n\
Content-Disposition: form-data; name=\"media\"; filename=\"\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\
\r\n\
------WebKitFormBoundaryx7Jq--\r\n";

    const BOUNDARY: &str = "----WebKitFormBoundaryx7Jq";

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundaryx7Jq").as_deref(),
            Some(BOUNDARY)
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))),
            None
        );
    }

    #[test]
    fn parts_are_read_as_browsers_send_them() {
        let parts = parse(FORM, BOUNDARY).unwrap();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].name, "csrf_token");
        assert_eq!(parts[0].text(), Some("tok3n"));
        assert_eq!(parts[1].text(), Some("line one\r\nline two"));
        assert_eq!(parts[2].filename.as_deref(), Some("a \"b\".png"));
        assert_eq!(parts[2].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[2].body, b"\x89PNG\r\n\x1a\n\r\n--not-the-boundary");
        assert_eq!(parts[3].filename.as_deref(), Some(""));
        assert!(parts[3].body.is_empty());
    }

    #[test]
    fn the_token_is_found_at_the_head_of_a_form() {
        for cut in 0..FORM.len() {
            let found = field_in_prefix(&FORM[..cut], BOUNDARY, "csrf_token");
            let complete = cut
                >= find(FORM, b"tok3n\r\n------", 0).unwrap()
                    + b"tok3n\r\n------".len()
                    + BOUNDARY.len()
                    - 4
                    + 2;
            match found {
                Ok(Some(t)) => {
                    assert_eq!(t, "tok3n");
                    assert!(complete, "found at {cut} before the part ends");
                }
                Err(MultipartError::Incomplete) => assert!(!complete, "incomplete at {cut}"),
                other => panic!("{cut}: {other:?}"),
            }
        }
        assert_eq!(
            field_in_prefix(FORM, BOUNDARY, "nothing"),
            Ok(None),
            "absent everywhere"
        );
    }

    #[test]
    fn malformed_forms_are_errors_not_panics() {
        for bad in [
            &b"garbage without boundary, long enough to not be a prefix...."[..],
            b"------WebKitFormBoundaryx7Jq\r\nContent-Disposition: form-data\r\n\r\nx\r\n------WebKitFormBoundaryx7Jq--",
            b"------WebKitFormBoundaryx7Jq\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n------WebKitFormBoundaryx7Jq--",
            b"------WebKitFormBoundaryx7JqXX",
        ] {
            assert!(parse(bad, BOUNDARY).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse(&FORM[..FORM.len() - 10], BOUNDARY),
            Err(MultipartError::Incomplete)
        );
        let many: Vec<u8> = (0..=MAX_PARTS)
            .flat_map(|i| {
                format!("--b\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")
                    .into_bytes()
            })
            .chain(b"--b--".iter().copied())
            .collect();
        assert!(parse(&many, "b").is_err());
    }
}
