//! A campaign as one recipient's mail: text and HTML with the footer links, and the headers
//! bulk senders need (RFC 2369 `List-Unsubscribe` with an https and a mailto address, RFC 8058
//! `List-Unsubscribe-Post`, RFC 2919 `List-Id`), and a `Message-ID` fixed per recipient, so a
//! mail that had to be sent again after a crash is one message to the receiver.

use shared::infrastructure::mail::Email;
use shared::infrastructure::templates::escape_html;
use shared::models::account::Newsletter;

use crate::db::campaigns::Campaign;
use crate::domain::mail_text::html_to_text;

/// Whether Markdown holds raw HTML (blocks or inline tags), which would show as tags in text.
fn carries_html(markdown: &str) -> bool {
    pulldown_cmark::Parser::new(markdown).any(|event| {
        matches!(
            event,
            pulldown_cmark::Event::Html(_) | pulldown_cmark::Event::InlineHtml(_)
        )
    })
}

/// The per-recipient addresses in a campaign mail.
#[derive(Debug, Clone)]
pub struct RecipientLinks {
    /// The one-click address (GET shows a button, POST unsubscribes).
    pub unsubscribe: String,
    /// Where a `mailto:` unsubscribe goes (the sender's address, the token in the subject).
    pub mailto: String,
    pub preferences: String,
}

/// What every recipient's mail shares.
#[derive(Debug, Clone)]
pub struct CampaignMail<'a> {
    pub campaign: &'a Campaign,
    pub newsletter: &'a Newsletter,
    /// The campaign's page in the archive, if it is public.
    pub online: Option<String>,
    /// The domain of `List-Id` and the `Message-ID`s.
    pub domain: &'a str,
}

impl CampaignMail<'_> {
    /// The mail for one recipient (`recipient_id` makes the `Message-ID`).
    pub fn for_recipient(&self, to: &str, recipient_id: i64, links: &RecipientLinks) -> Email {
        let token = links.unsubscribe.rsplit('/').next().unwrap_or_default();
        Email {
            to: to.to_owned(),
            subject: self.campaign.subject.clone(),
            text: self.text(to, Some(links)),
            html: Some(self.html(to, Some(links))),
            headers: vec![
                (
                    "List-Unsubscribe".into(),
                    format!(
                        "<{}>, <mailto:{}?subject=unsubscribe%20{token}>",
                        links.unsubscribe, links.mailto
                    ),
                ),
                (
                    "List-Unsubscribe-Post".into(),
                    "List-Unsubscribe=One-Click".into(),
                ),
                (
                    "List-Id".into(),
                    format!(
                        "{} <{}.{}>",
                        self.newsletter
                            .name
                            .replace(['<', '>', '"', '\r', '\n'], ""),
                        self.newsletter.slug,
                        self.domain
                    ),
                ),
            ],
            message_id: Some(format!(
                "<campaign-{}.recipient-{recipient_id}@{}>",
                self.campaign.id, self.domain
            )),
        }
    }

    /// A test mail: the same body, "[Test]" in the subject, no list headers.
    pub fn test(&self, to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: format!("[Test] {}", self.campaign.subject),
            text: self.text(to, None),
            html: Some(self.html(to, None)),
            headers: Vec::new(),
            message_id: None,
        }
    }

    /// The text part: the Markdown as written (it reads as text) or, when it carries HTML (a
    /// campaign started from a post imported as HTML), the text of the sanitised HTML; then
    /// the footer.
    pub fn text(&self, to: &str, links: Option<&RecipientLinks>) -> String {
        let mut out = format!("{}\n\n", self.newsletter.name);
        if carries_html(&self.campaign.body_markdown) {
            out.push_str(html_to_text(&self.campaign.body_html).trim_end());
        } else {
            out.push_str(self.campaign.body_markdown.trim_end());
        }
        out.push_str("\n\n-- \n");
        out.push_str(&format!(
            "You receive {} at {to} because you subscribed to it.\n",
            self.newsletter.name
        ));
        match links {
            Some(l) => out.push_str(&format!(
                "Unsubscribe: {}\nYour preferences: {}\n",
                l.unsubscribe, l.preferences
            )),
            None => {
                out.push_str("(A test: the real mail has the reader's unsubscribe link here.)\n")
            }
        }
        if let Some(online) = &self.online {
            out.push_str(&format!("Read it online: {online}\n"));
        }
        out
    }

    /// The HTML part: the sanitised body in a plain, inline-styled frame (mail clients ignore
    /// style sheets), then the footer.
    pub fn html(&self, to: &str, links: Option<&RecipientLinks>) -> String {
        let name = escape_html(&self.newsletter.name);
        let footer_links = match links {
            Some(l) => format!(
                "<a href=\"{}\" style=\"color:#555\">Unsubscribe</a> · <a href=\"{}\" style=\"color:#555\">Your preferences</a>",
                escape_html(&l.unsubscribe),
                escape_html(&l.preferences)
            ),
            None => "(A test: the real mail has the reader's unsubscribe link here.)".into(),
        };
        let online = self.online.as_ref().map_or(String::new(), |u| {
            format!(
                " · <a href=\"{}\" style=\"color:#555\">Read it online</a>",
                escape_html(u)
            )
        });
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{subject}</title></head>\n\
             <body style=\"margin:0;padding:0;background:#f4f2ee\">\n\
             <div style=\"max-width:600px;margin:0 auto;padding:24px;background:#ffffff;color:#222222;font-family:Georgia,serif;font-size:17px;line-height:1.5\">\n\
             <p style=\"margin:0 0 16px;color:#777777;font-size:13px\">{name}</p>\n\
             {body}\n\
             <hr style=\"border:0;border-top:1px solid #dddddd;margin:32px 0 16px\">\n\
             <p style=\"color:#777777;font-size:13px\">You receive {name} at {to} because you subscribed to it.<br>{footer_links}{online}</p>\n\
             </div>\n</body></html>\n",
            subject = escape_html(&self.campaign.subject),
            body = self.campaign.body_html,
            to = escape_html(to),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn campaign() -> (Campaign, Newsletter) {
        let now = Utc::now();
        (
            Campaign {
                id: 7,
                newsletter_id: 1,
                subject: "Nº 1 <big>".into(),
                body_markdown: "# Hello\n\nWorld".into(),
                body_html: "<h1>Hello</h1>\n<p>World</p>".into(),
                status: "sending".into(),
                archived: true,
                scheduled_at: None,
                started_at: None,
                finished_at: None,
                next_send_at: None,
                consecutive_errors: 0,
                paused_reason: None,
                created_by: None,
                created_at: now,
                updated_at: now,
            },
            Newsletter {
                id: 1,
                slug: "letter".into(),
                name: "The Letter".into(),
                description: String::new(),
                opt_in: "double".into(),
                visibility: "public".into(),
                created_at: now,
            },
        )
    }

    #[test]
    fn a_recipient_mail_carries_the_list_headers_and_its_links() {
        let (c, n) = campaign();
        let mail = CampaignMail {
            campaign: &c,
            newsletter: &n,
            online: Some("https://account.example/newsletters/letter/archive/7".into()),
            domain: "example.org",
        };
        let links = RecipientLinks {
            unsubscribe: "https://account.example/unsubscribe/5-abc".into(),
            mailto: "noreply@example.org".into(),
            preferences: "https://account.example/preferences/3-def".into(),
        };
        let email = mail.for_recipient("r@example.net", 42, &links);
        let header = |name: &str| {
            email
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(
            header("List-Unsubscribe"),
            "<https://account.example/unsubscribe/5-abc>, <mailto:noreply@example.org?subject=unsubscribe%205-abc>"
        );
        assert_eq!(
            header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        assert_eq!(header("List-Id"), "The Letter <letter.example.org>");
        assert_eq!(
            email.message_id.as_deref(),
            Some("<campaign-7.recipient-42@example.org>")
        );
        let html = email.html.unwrap();
        assert!(html.contains("<title>Nº 1 &lt;big&gt;</title>"), "{html}");
        assert!(html.contains("<h1>Hello</h1>"));
        assert!(html.contains("href=\"https://account.example/unsubscribe/5-abc\""));
        assert!(email.text.contains("# Hello\n\nWorld"));
        assert!(
            email
                .text
                .contains("Unsubscribe: https://account.example/unsubscribe/5-abc\n")
        );
        let test = mail.test("editor@example.org");
        assert!(test.subject.starts_with("[Test] "));
        assert!(test.headers.is_empty());
    }

    #[test]
    fn a_body_written_in_html_has_a_text_part_without_tags() {
        let (mut c, n) = campaign();
        // What a campaign started from a post imported as HTML holds.
        c.body_markdown = "<p>The <strong>quinces</strong> are in, see \
                           <a href=\"https://x.example/q\">the list</a>.</p>\n\n\
                           [Read it on the blog](https://blog.example/posts/q)\n"
            .into();
        c.body_html = shared::infrastructure::markdown::markdown(&c.body_markdown);
        let mail = CampaignMail {
            campaign: &c,
            newsletter: &n,
            online: None,
            domain: "example.org",
        };
        let text = mail.test("editor@example.org").text;
        assert!(
            text.starts_with(
                "The Letter\n\nThe quinces are in, see the list (https://x.example/q).\n\n\
                 Read it on the blog (https://blog.example/posts/q)\n\n-- \n"
            ),
            "{text}"
        );
        assert!(!text.contains('<'), "{text}");
        // Markdown without HTML stays as written.
        assert!(!carries_html(
            "# Hello\n\n*World* [x](https://x.example) a < b"
        ));
        assert!(carries_html("Hello <em>world</em>"));
    }
}
