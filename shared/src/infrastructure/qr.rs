//! QR codes as inline SVG (an authenticator's `otpauth:` URL today; tickets and payment links
//! next): black squares on a white ground with the standard four-module quiet zone, shown
//! 200 px square and named for screen readers.

use std::fmt::Write;

/// Why no code could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("the text is too long for a QR code")]
    TooLong,
}

/// The quiet zone around the code, in modules.
const BORDER: i32 = 4;

/// `text` as an SVG QR code (error correction level M).
pub fn svg(text: &str) -> Result<String, QrError> {
    let qr = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium)
        .map_err(|_too_long| QrError::TooLong)?;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                // Writing to a String cannot fail.
                let _ = write!(path, "M{},{}h1v1h-1z", x + BORDER, y + BORDER);
            }
        }
    }
    let dim = size + BORDER * 2;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" width=\"200\" height=\"200\" role=\"img\" aria-label=\"QR code\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_code_with_its_quiet_zone() {
        let svg = svg("otpauth://totp/Rose%20Ash:ann?secret=JBSWY3DPEHPK3PXP").unwrap();
        let qr = qrcodegen::QrCode::encode_text(
            "otpauth://totp/Rose%20Ash:ann?secret=JBSWY3DPEHPK3PXP",
            qrcodegen::QrCodeEcc::Medium,
        )
        .unwrap();
        let dim = qr.size() + 8;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {dim} {dim}\"")),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"QR code\""));
        // One square per dark module, all inside the quiet zone.
        let dark = (0..qr.size())
            .flat_map(|y| (0..qr.size()).map(move |x| (x, y)))
            .filter(|(x, y)| qr.get_module(*x, *y))
            .count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
        // The top-left finder pattern starts at the border.
        assert!(svg.contains("M4,4h1v1h-1z"));
        assert!(!svg.contains("M3,"));
    }

    #[test]
    fn text_too_long_for_a_code_is_an_error() {
        assert_eq!(svg(&"x".repeat(5000)), Err(QrError::TooLong));
    }
}
