//! Blocks as HTML: a self-contained page (`index.html`, charts inlined, no script) or a fragment whose style is
//! scoped under one class, to embed in a notebook.

use std::fmt::Write as _;

use super::{Block, slug};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Escapes, then turns `code` spans into `<code>`.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

pub(super) fn html(title: &str, blocks: &[Block]) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
        escape(title),
        html_body(blocks)
    )
}

/// Class of the root element of an HTML fragment; every rule of its style is scoped under it.
pub const FRAGMENT_CLASS: &str = "polaroid-report";

/// The report as an HTML fragment to embed in another page (a notebook's output): one `<div>` of class
/// [`FRAGMENT_CLASS`] holding a `<style>` whose every rule is scoped under that class, and no script.
pub fn fragment(blocks: &[Block]) -> String {
    format!("<div class=\"{FRAGMENT_CLASS}\">\n<style>\n{}</style>\n{}</div>\n", scoped_css(), html_body(blocks))
}

/// The page's CSS with every selector scoped under the fragment's class (`body` and `main` become the root).
fn scoped_css() -> String {
    CSS.lines()
        .filter_map(|line| line.split_once('{'))
        .map(|(selectors, rest)| {
            let scoped: Vec<String> = selectors
                .split(',')
                .map(|sel| match sel.trim() {
                    "body" | "main" => format!(".{FRAGMENT_CLASS}"),
                    other => format!(".{FRAGMENT_CLASS} {other}"),
                })
                .collect();
            format!("{} {{{rest}\n", scoped.join(", "))
        })
        .collect()
}

fn html_body(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(s, "<h{level} id=\"{}\">{}</h{level}>", slug(text), inline(text));
            }
            Block::Para(text) => {
                let _ = writeln!(s, "<p>{}</p>", inline(text));
            }
            Block::List(items) => {
                s.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(s, "<li>{}</li>", inline(i));
                }
                s.push_str("</ul>\n");
            }
            Block::Table(header, rows) => {
                s.push_str("<div class=\"table\"><table>\n<thead><tr>");
                for h in header {
                    let _ = write!(s, "<th>{}</th>", inline(h));
                }
                s.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        let _ = write!(s, "<td>{}</td>", inline(c));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody></table></div>\n");
            }
            Block::Chart(name, caption, svg) => {
                // The SVG document without its XML declaration, inlined.
                let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
                let _ = writeln!(s, "<figure id=\"{name}\">{body}<figcaption>{}</figcaption></figure>", inline(caption));
            }
        }
    }
    s
}

const CSS: &str = "body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #eee; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; margin: 1rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
code { background: #f3f3f3; padding: 0 .2rem; font-size: .85em; }
figure { margin: 1.5rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; }
";
