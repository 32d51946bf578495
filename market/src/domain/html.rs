//! A shop's page as a browser would see it: parsed by html5ever (the WHATWG parser the
//! workspace already compiles for ammonia) into a small arena tree, so unclosed tags, stray
//! end tags, `<script>` bodies and character references are handled as the standard says
//! instead of by a hand-written scanner. Only what the importer reads is kept: elements with
//! their attributes, and text.

use std::borrow::Cow;
use std::cell::RefCell;

use html5ever::interface::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, LocalName, Namespace, QualName, parse_document};

/// A node's index in [`Document::nodes`].
pub type NodeId = usize;

#[derive(Debug)]
pub enum Data {
    Document,
    Element {
        /// Lower-case local name (`div`, `meta`, …).
        name: String,
        /// Attribute names lower-case, values with character references decoded.
        attrs: Vec<(String, String)>,
    },
    Text(String),
    /// Comments, doctypes, processing instructions, template contents: nothing to read.
    Other,
}

#[derive(Debug)]
pub struct Node {
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub data: Data,
}

/// A parsed page. Node 0 is the document.
#[derive(Debug)]
pub struct Document {
    pub nodes: Vec<Node>,
}

impl Document {
    pub fn parse(html: &str) -> Document {
        let sink = Sink {
            nodes: RefCell::new(vec![Node {
                parent: None,
                children: Vec::new(),
                data: Data::Document,
            }]),
            names: RefCell::new(vec![None]),
        };
        parse_document(sink, Default::default()).one(html)
    }

    /// The element's lower-case name; `None` for other nodes.
    pub fn name(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { name, .. } => Some(name),
            _ => None,
        }
    }

    pub fn attr(&self, id: NodeId, attr: &str) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|(n, _)| n == attr)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }

    pub fn has_attr(&self, id: NodeId, attr: &str) -> bool {
        self.attr(id, attr).is_some()
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.nodes[id].children
    }

    /// `id` and everything under it, in document order.
    pub fn descendants_or_self(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// Every element of the page, in document order.
    pub fn elements(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.descendants_or_self(0)
            .into_iter()
            .filter(|n| matches!(self.nodes[*n].data, Data::Element { .. }))
    }

    /// The text under `id`, leaving out `<script>` and `<style>` bodies unless `id` is one.
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            match &self.nodes[n].data {
                Data::Text(t) => out.push_str(t),
                Data::Element { name, .. } if n != id && (name == "script" || name == "style") => {}
                _ => stack.extend(self.nodes[n].children.iter().rev()),
            }
        }
        out
    }
}

/// Block elements that start a new line, and those that start a paragraph, when a page's
/// markup is read as text (the layout `html-text` gives extruct, so both read the same words).
const NEWLINE: &[&str] = &[
    "article",
    "aside",
    "br",
    "dd",
    "details",
    "div",
    "dt",
    "fieldset",
    "figcaption",
    "footer",
    "form",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "table",
    "tr",
];
const PARAGRAPH: &[&str] = &[
    "blockquote",
    "dl",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ol",
    "p",
    "pre",
    "title",
    "ul",
];

impl Document {
    /// The text under `id` laid out for reading: whitespace collapsed, a line break around
    /// block elements and a blank line around paragraphs; scripts and styles left out.
    pub fn readable_text(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.layout(id, &mut out);
        out.lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn layout(&self, id: NodeId, out: &mut String) {
        match &self.nodes[id].data {
            Data::Text(t) => {
                // Words of one text node are spaced; text nodes touch unless the markup
                // has whitespace between them (`<b>oak</b>.` reads "oak.").
                for (n, word) in t.split_whitespace().enumerate() {
                    let spaced = n > 0 || t.starts_with(char::is_whitespace);
                    if spaced && !out.is_empty() && !out.ends_with([' ', '\n']) {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
                if t.ends_with(char::is_whitespace) && !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
            }
            Data::Element { name, .. } if name == "script" || name == "style" => {}
            Data::Element { name, .. } => {
                let lines = if PARAGRAPH.contains(&name.as_str()) {
                    2
                } else if NEWLINE.contains(&name.as_str()) {
                    1
                } else {
                    0
                };
                break_lines(out, lines);
                for c in &self.nodes[id].children {
                    self.layout(*c, out);
                }
                break_lines(out, lines);
            }
            _ => {
                for c in &self.nodes[id].children {
                    self.layout(*c, out);
                }
            }
        }
    }
}

/// Ends the text so far with at least `lines` line breaks (none at the very start).
fn break_lines(out: &mut String, lines: usize) {
    if lines == 0 || out.is_empty() {
        return;
    }
    out.truncate(out.trim_end_matches(' ').len());
    let have = out.len() - out.trim_end_matches('\n').len();
    for _ in have..lines {
        out.push('\n');
    }
}

/// html5ever's side: builds the arena. Handles are indices; element names are kept apart
/// (`names`) so the parser can ask for one without borrowing the node list.
struct Sink {
    nodes: RefCell<Vec<Node>>,
    names: RefCell<Vec<Option<QualName>>>,
}

/// An element's name handed to the tree builder (a cheap clone of interned atoms).
#[derive(Debug)]
pub struct Name(QualName);

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }
    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl Sink {
    fn push(&self, data: Data, name: Option<QualName>) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            parent: None,
            children: Vec::new(),
            data,
        });
        self.names.borrow_mut().push(name);
        nodes.len() - 1
    }

    fn detach(&self, id: NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        if let Some(parent) = nodes[id].parent.take() {
            nodes[parent].children.retain(|c| *c != id);
        }
    }

    /// Text after `at` in `parent`'s children merges into a text node just before it.
    fn insert(&self, parent: NodeId, at: usize, child: NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendText(text) => {
                let mut nodes = self.nodes.borrow_mut();
                if let Some(&prev) = at
                    .checked_sub(1)
                    .and_then(|i| nodes[parent].children.get(i))
                    && let Data::Text(existing) = &mut nodes[prev].data
                {
                    existing.push_str(&text);
                    return;
                }
                drop(nodes);
                let id = self.push(Data::Text(text.to_string()), None);
                let mut nodes = self.nodes.borrow_mut();
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(at, id);
            }
            NodeOrText::AppendNode(id) => {
                self.detach(id);
                let mut nodes = self.nodes.borrow_mut();
                let at = at.min(nodes[parent].children.len());
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(at, id);
            }
        }
    }

    fn position(&self, id: NodeId) -> Option<(NodeId, usize)> {
        let nodes = self.nodes.borrow();
        let parent = nodes[id].parent?;
        let at = nodes[parent].children.iter().position(|c| *c == id)?;
        Some((parent, at))
    }
}

fn attributes(attrs: Vec<Attribute>) -> Vec<(String, String)> {
    attrs
        .into_iter()
        .map(|a| (a.name.local.to_string(), a.value.to_string()))
        .collect()
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Document;
    type ElemName<'a> = Name;

    fn finish(self) -> Document {
        Document {
            nodes: self.nodes.into_inner(),
        }
    }

    /// Broken markup is the norm on the web; the parser recovers as browsers do.
    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Name {
        let names = self.names.borrow();
        // The tree builder asks only about elements it created.
        Name(names[*target].clone().unwrap_or_else(|| {
            QualName::new(None, html5ever::ns!(html), html5ever::local_name!(""))
        }))
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        let id = self.push(
            Data::Element {
                name: name.local.to_ascii_lowercase().to_string(),
                attrs: attributes(attrs),
            },
            Some(name),
        );
        if flags.template {
            // Template contents: a detached fragment the importer never reads.
            self.push(Data::Other, None);
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        self.push(Data::Other, None)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.push(Data::Other, None)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let at = self.nodes.borrow()[*parent].children.len();
        self.insert(*parent, at, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        // Made right after its template in `create_element`.
        target + 1
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        if let NodeOrText::AppendNode(id) = &new_node {
            self.detach(*id);
        }
        if let Some((parent, at)) = self.position(*sibling) {
            self.insert(parent, at, new_node);
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        if let Data::Element { attrs: have, .. } = &mut self.nodes.borrow_mut()[*target].data {
            for (name, value) in attributes(attrs) {
                if !have.iter().any(|(n, _)| *n == name) {
                    have.push((name, value));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let moved = std::mem::take(&mut nodes[*node].children);
        for c in &moved {
            nodes[*c].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(moved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_from_broken_markup_as_browsers_do() {
        let doc = Document::parse(
            "<p>one<p>two &amp; <b>three</p><script>if (a < b) { x('</p>') }</script>\
             <META Property=og:title CONTENT='A &#x27;b&#39; &lt;c&gt;'>",
        );
        let ps: Vec<_> = doc
            .elements()
            .filter(|e| doc.name(*e) == Some("p"))
            .collect();
        assert_eq!(ps.len(), 2, "the second <p> closes the first");
        assert_eq!(doc.text(ps[1]), "two & three");
        let script = doc
            .elements()
            .find(|e| doc.name(*e) == Some("script"))
            .unwrap();
        assert_eq!(doc.text(script), "if (a < b) { x('</p>') }");
        let meta = doc
            .elements()
            .find(|e| doc.name(*e) == Some("meta"))
            .unwrap();
        assert_eq!(doc.attr(meta, "property"), Some("og:title"));
        assert_eq!(doc.attr(meta, "content"), Some("A 'b' <c>"));
    }

    #[test]
    fn readable_text_keeps_paragraphs() {
        let doc = Document::parse(
            "<p>Warm &amp;\n  soft.</p><ul><li>Wool</li><li>Hand <b>knit</b></li></ul>",
        );
        assert_eq!(doc.readable_text(0), "Warm & soft.\n\nWool\nHand knit");
    }

    #[test]
    fn garbage_is_a_document_too() {
        for html in [
            "",
            "<<<>>>",
            "\u{0}<script>",
            "<table><tr><td>x</p></table>",
        ] {
            let doc = Document::parse(html);
            assert!(doc.elements().any(|e| doc.name(e) == Some("body")));
        }
    }
}
