//! The text part of a mail whose body is HTML (a campaign started from a post imported as
//! HTML): readable text, no tags, links written "text (url)". It reads the sanitiser's output
//! (`shared::infrastructure::markdown`), so it knows the few tags that survive that: blocks
//! become paragraphs, list items "- " or "1. ", quotes "> ", `<pre>` keeps its lines, images
//! their alt text. html5ever's tokenizer (the parser ammonia already compiles) decodes
//! character references the way browsers do.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};

/// The readable text of `html`, ending with one newline (empty for no text).
pub fn html_to_text(html: &str) -> String {
    let sink = Sink(RefCell::new(Writer::default()));
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, Default::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.into_inner().finish()
}

struct Sink(RefCell<Writer>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut w = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => w.tag(&tag),
            Token::CharacterTokens(text) => w.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// An open list: `None` for bullets, the next number for an ordered one.
type List = Option<u32>;

#[derive(Default)]
struct Writer {
    out: String,
    /// Line breaks owed before the next text (2: a new paragraph, 1: a new line).
    breaks: usize,
    /// A space owed before the next text.
    space: bool,
    quote_depth: usize,
    /// The quote depth of the line being written.
    line_depth: usize,
    lists: Vec<List>,
    /// Inside `<pre>` (whitespace kept), and how deep.
    pre: usize,
    /// Inside an element whose text is not shown (`<script>`, `<style>`, `<title>`).
    hidden: usize,
    /// Open links: their address and where their text starts in `out`.
    links: Vec<(String, usize)>,
}

fn attr(tag: &Tag, name: &str) -> Option<String> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Writer {
    fn tag(&mut self, tag: &Tag) {
        let start = tag.kind == TagKind::StartTag;
        match &*tag.name {
            "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "figure" | "ul"
            | "ol" | "dl" => {
                self.paragraph();
                match (&*tag.name, start) {
                    ("ul", true) => self.lists.push(None),
                    ("ol", true) => {
                        let first = attr(tag, "start").and_then(|s| s.parse().ok());
                        self.lists.push(Some(first.unwrap_or(1)));
                    }
                    ("ul" | "ol", false) => {
                        self.lists.pop();
                    }
                    _ => {}
                }
            }
            "blockquote" => {
                self.paragraph();
                if start {
                    self.quote_depth += 1;
                } else {
                    self.quote_depth = self.quote_depth.saturating_sub(1);
                }
            }
            "pre" => {
                self.paragraph();
                if start {
                    self.pre += 1;
                } else {
                    self.pre = self.pre.saturating_sub(1);
                }
            }
            "li" if start => {
                self.line();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}. ");
                        *n = n.saturating_add(1);
                        marker
                    }
                    _ => "- ".to_owned(),
                };
                self.write(&marker);
            }
            "br" => self.line(),
            "tr" | "dt" | "dd" | "figcaption" | "li" => self.line(),
            "td" | "th" if start => self.space = true,
            "hr" => {
                self.paragraph();
                self.write("----");
                self.paragraph();
            }
            "img" => {
                if let Some(alt) = attr(tag, "alt") {
                    self.space_if_needed();
                    self.write(&format!("[{alt}]"));
                }
            }
            "a" if start => {
                let href = attr(tag, "href").unwrap_or_default();
                self.links.push((href, self.out.len()));
            }
            "a" => self.close_link(),
            "script" | "style" | "title" | "head" => {
                if start {
                    self.hidden += 1;
                } else {
                    self.hidden = self.hidden.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    /// "text (url)", or the address alone when the text is it (or there is no text).
    fn close_link(&mut self) {
        let Some((href, from)) = self.links.pop() else {
            return;
        };
        if href.is_empty() {
            return;
        }
        let text = self.out.get(from..).unwrap_or_default().trim();
        let shown = href.strip_prefix("mailto:").unwrap_or(&href);
        if text.is_empty() {
            self.space_if_needed();
            self.write(shown);
        } else if text != shown && text != href {
            self.space = true;
            self.write(&format!("({href})"));
        }
    }

    fn paragraph(&mut self) {
        self.breaks = 2;
        self.space = false;
    }

    fn line(&mut self) {
        self.breaks = self.breaks.max(1);
        self.space = false;
    }

    fn space_if_needed(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with([' ', '\n']) {
            self.space = true;
        }
    }

    fn text(&mut self, text: &str) {
        if self.hidden > 0 {
            return;
        }
        if self.pre > 0 {
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    self.breaks = self.breaks.max(1);
                }
                if !line.is_empty() {
                    self.write(line);
                }
            }
            return;
        }
        for (i, word) in text.split_ascii_whitespace().enumerate() {
            if i > 0 || text.starts_with(|c: char| c.is_ascii_whitespace()) {
                self.space_if_needed();
            }
            self.write(word);
        }
        if text.ends_with(|c: char| c.is_ascii_whitespace()) {
            self.space_if_needed();
        }
    }

    /// Writes `s` after the breaks or space owed (a quote's "> " starts each line).
    fn write(&mut self, s: &str) {
        let prefix = self.prefix();
        if self.out.is_empty() {
            self.out.push_str(&prefix);
        } else if self.breaks > 0 {
            if self.breaks > 1 {
                // A blank line inside a quote keeps the marks the lines on both sides share.
                let shared = self.quote_depth.min(self.line_depth);
                self.out.push('\n');
                self.out.push_str("> ".repeat(shared).trim_end());
            }
            self.out.push('\n');
            self.out.push_str(&prefix);
        } else if self.space {
            self.out.push(' ');
        }
        self.line_depth = self.quote_depth;
        self.breaks = 0;
        self.space = false;
        self.out.push_str(s);
    }

    fn prefix(&self) -> String {
        "> ".repeat(self.quote_depth)
    }

    fn finish(self) -> String {
        let text = self.out.trim_end();
        if text.is_empty() {
            String::new()
        } else {
            format!("{text}\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_headings_and_links_read_as_text() {
        let html = "<h1>Spring in the orchard</h1>\n<p>The <strong>quinces</strong> are \
                    in &amp; the <a href=\"https://blog.example/posts/pears\" rel=\"noopener \
                    noreferrer\">pears</a>\nfollow.</p><p>Write to \
                    <a href=\"mailto:ada@example.org\">ada@example.org</a> or see \
                    <a href=\"https://example.org/\">https://example.org/</a>.</p>";
        assert_eq!(
            html_to_text(html),
            "Spring in the orchard\n\nThe quinces are in & the pears \
             (https://blog.example/posts/pears) follow.\n\nWrite to ada@example.org or see \
             https://example.org/.\n"
        );
    }

    #[test]
    fn lists_quotes_breaks_pre_and_images() {
        let html = "<ul><li>Quince</li><li>Pear <em>Conference</em></li></ul>\
                    <ol start=\"3\"><li>Pick</li><li>Store</li></ol>\
                    <blockquote><p>Wait for frost.</p><p>Then pick.</p></blockquote>\
                    <p>Line one<br>line two</p><pre><code>fn main() {\n    pick();\n}</code></pre>\
                    <p><img src=\"https://x.example/a.jpg\" alt=\"A quince\"> below<hr>end</p>\
                    <p><a href=\"https://x.example/\"></a></p><script>alert(1)</script>";
        assert_eq!(
            html_to_text(html),
            "- Quince\n- Pear Conference\n\n3. Pick\n4. Store\n\n> Wait for frost.\n>\n> \
             Then pick.\n\nLine one\nline two\n\nfn main() {\n    pick();\n}\n\n[A quince] \
             below\n\n----\n\nend\n\nhttps://x.example/\n"
        );
    }

    #[test]
    fn no_text_is_empty() {
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("<p> </p><div></div>"), "");
    }
}
