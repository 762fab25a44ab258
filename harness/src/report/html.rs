//! `index.html` of a report folder: report.md rendered to one self-contained page — inline CSS, every figure's
//! SVG inlined where report.md links it (so its hover titles work), no scripts and no external resources — that
//! opens from a file, an attachment or a CI artifact, on a wide or a narrow screen.
//!
//! The page is rendered from the Markdown rather than built a second time, so the two can never say different
//! things; only the figure links and the tables (wrapped to scroll sideways on a phone) are treated specially.

use crate::report::figure::{Figure, escape_xml};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// The page's style: readable line length, tables and code that scroll sideways instead of widening the page,
/// figures that shrink to the screen.
const CSS: &str = "\
:root{color-scheme:light}\
body{margin:0;background:#f6f7f9;color:#1b1f24;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\
main{max-width:1040px;margin:0 auto;padding:1rem 1.25rem 3rem;background:#fff}\
h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid #d8dde3;padding-bottom:.25rem;margin-top:2rem}\
.scroll{overflow-x:auto;margin:.75rem 0}\
table{border-collapse:collapse;font-size:13px}\
th,td{border:1px solid #d8dde3;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef1f4}tr:nth-child(even) td{background:#fafbfc}\
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:0 .2rem;border-radius:3px}\
pre{overflow-x:auto;background:#eef1f4;padding:.75rem;border-radius:4px}pre code{padding:0}\
figure{margin:1rem 0}figure svg{display:block;max-width:100%;height:auto;border:1px solid #d8dde3}\
figcaption{font-size:13px;color:#57606a;margin-top:.25rem}\
details{margin:.5rem 0 1rem}summary{cursor:pointer;color:#0b5cad}\
blockquote{margin:.75rem 0;padding:.25rem .75rem;border-left:4px solid #d4a72c;background:#fff8e1}\
@media (max-width:600px){main{padding:.75rem}body{font-size:14px}}";

/// The HTML page of `markdown` (report.md's text), with each `![alt](file.svg)` whose file is one of `figures`
/// replaced by that SVG, inline, in a `<figure>` captioned with the alt text.
pub fn page(markdown: &str, figures: &[Figure]) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, Options::ENABLE_TABLES).collect();
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, inline_figures(events, figures).into_iter());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape_xml(&title(markdown))
    )
}

/// The first top-level heading of `markdown`, or "hsbench report".
fn title(markdown: &str) -> String {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map_or_else(|| "hsbench report".to_string(), |t| t.trim().to_string())
}

/// `events` with figure links replaced by inline SVG (and the paragraph around a lone figure dropped, since a
/// `<figure>` may not sit in a `<p>`), and each table wrapped in a sideways-scrolling `<div>`.
fn inline_figures<'a>(events: Vec<Event<'a>>, figures: &[Figure]) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        if let Some((html, consumed)) = figure_at(&events[i..], figures) {
            out.push(Event::Html(CowStr::from(html)));
            i += consumed;
            continue;
        }
        match &events[i] {
            Event::Start(Tag::Table(_)) => {
                out.push(Event::Html(CowStr::Borrowed("<div class=\"scroll\">")));
                out.push(events[i].clone());
            }
            Event::End(TagEnd::Table) => {
                out.push(events[i].clone());
                out.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            e => out.push(e.clone()),
        }
        i += 1;
    }
    out
}

/// When `events` starts with a link to one of `figures` (an image, alone in its paragraph or not): the figure's
/// HTML and how many events it replaces.
fn figure_at(events: &[Event<'_>], figures: &[Figure]) -> Option<(String, usize)> {
    let in_paragraph = matches!(events.first(), Some(Event::Start(Tag::Paragraph)));
    let start = usize::from(in_paragraph);
    let Some(Event::Start(Tag::Image { dest_url, .. })) = events.get(start) else {
        return None;
    };
    let figure = figures.iter().find(|f| f.file_name == dest_url.as_ref())?;
    let end = start + events[start..].iter().position(|e| matches!(e, Event::End(TagEnd::Image)))?;
    let alt: String = events[start + 1..end]
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    let closes_paragraph = matches!(events.get(end + 1), Some(Event::End(TagEnd::Paragraph)));
    if in_paragraph && !closes_paragraph {
        // The figure shares its paragraph with text: leave the paragraph, inline the figure where it is.
        return None;
    }
    let consumed = if in_paragraph { end + 2 } else { end + 1 };
    let html = format!("<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n", figure.svg.trim(), escape_xml(&alt));
    Some((html, consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(name: &str) -> Figure {
        Figure { file_name: name.into(), svg: "<svg viewBox=\"0 0 10 10\"><title>v</title></svg>\n".into() }
    }

    #[test]
    fn figures_are_inlined_outside_paragraphs_and_tables_scroll() {
        let md = "# My report\n\nText.\n\n![curve & co](a.svg)\n\n| x |\n|---|\n| 1 |\n\n![other](missing.svg)\n";
        let html = page(md, &[fig("a.svg")]);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>My report</title>"));
        assert!(html.contains("name=\"viewport\""));
        assert!(html.contains(
            "<figure>\n<svg viewBox=\"0 0 10 10\"><title>v</title></svg>\n<figcaption>curve &amp; co</figcaption>"
        ));
        assert!(!html.contains("<p><figure>"), "{html}");
        assert!(html.contains("<div class=\"scroll\"><table>"), "{html}");
        assert!(html.contains("</table>\n</div>"), "{html}");
        // A link to a file that is not a figure of this report stays an ordinary image.
        assert!(html.contains("src=\"missing.svg\""));
    }

    #[test]
    fn details_blocks_and_code_survive() {
        let md = "<details><summary>Values</summary>\n\n| a |\n|---|\n| 2 |\n\n</details>\n\n```toml\nx = 1\n```\n";
        let html = page(md, &[]);
        assert!(html.contains("<details><summary>Values</summary>"));
        assert!(html.contains("<td>2</td>"));
        assert!(html.contains("<code class=\"language-toml\">x = 1"));
        assert!(!html.contains("<script"));
    }
}
