//! A figure of the report and the exact values behind it: each figure's SVG carries an SVG `<title>` on every
//! data point (a browser shows it on hover, in report.md's linked SVGs and in index.html alike), and the same
//! values are written beside the figure as a table, so nobody has to read a number off an axis.

use crate::report::markdown;

/// The values drawn in one figure, as a table (header and rows of formatted cells).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    /// Column headers, with units.
    pub header: Vec<String>,
    /// One row per drawn point or bar.
    pub rows: Vec<Vec<String>>,
}

impl Values {
    /// The values as a collapsed Markdown block (`<details>` with a table), placed under the figure in
    /// report.md; index.html renders the same block.
    pub fn markdown(&self) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        format!(
            "<details><summary>Values of this figure</summary>\n\n{}\n</details>\n\n",
            markdown::table(&header, &self.rows)
        )
    }
}

/// A drawn figure: the SVG text and the values it shows.
#[derive(Clone, Debug)]
pub struct Plot {
    /// The SVG document.
    pub svg: String,
    /// The values of its points or bars.
    pub values: Values,
}

/// A figure to write next to report.md.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File name inside the report folder.
    pub file_name: String,
    /// The SVG text.
    pub svg: String,
}

/// A point of a figure (in SVG pixels) whose exact values show on hover.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// Pixel position in the SVG's coordinate system.
    pub at: (i32, i32),
    /// The text of its `<title>`.
    pub text: String,
}

/// Radius (px) of the invisible hover target around each point: big enough to find with a mouse.
const HOVER_RADIUS: u32 = 8;

/// `svg` with one transparent circle per hover point, each holding a `<title>`, added as the last group (on
/// top of everything drawn, so the pointer reaches it). `svg` must end with `</svg>` (plotters' output does);
/// otherwise it is returned unchanged.
pub fn with_hovers(svg: String, hovers: &[Hover]) -> String {
    let Some(end) = svg.rfind("</svg>") else {
        return svg;
    };
    let mut group = String::from("<g class=\"hover\">\n");
    for h in hovers {
        group.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"{HOVER_RADIUS}\" fill=\"#000000\" fill-opacity=\"0\"><title>{}</title></circle>\n",
            h.at.0,
            h.at.1,
            escape_xml(&h.text)
        ));
    }
    group.push_str("</g>\n");
    let mut out = svg;
    out.insert_str(end, &group);
    out
}

/// `text` with the five XML special characters escaped.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hovers_go_inside_the_svg_escaped() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>\n".to_string();
        let out = with_hovers(svg, &[Hover { at: (3, 4), text: "a < b & \"c\"".into() }]);
        let doc = roxmltree::Document::parse(&out).unwrap();
        let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("a < b & \"c\""));
        let circle = title.parent().unwrap();
        assert_eq!((circle.attribute("cx"), circle.attribute("cy")), (Some("3"), Some("4")));
        assert_eq!(with_hovers("not svg".into(), &[]), "not svg");
    }

    #[test]
    fn values_render_as_a_collapsed_table_or_nothing() {
        let v = Values { header: vec!["x".into(), "y".into()], rows: vec![vec!["1".into(), "2".into()]] };
        let md = v.markdown();
        assert!(md.starts_with("<details><summary>Values of this figure</summary>\n\n| x | y |"), "{md}");
        assert!(md.contains("| 1 | 2 |") && md.ends_with("</details>\n\n"));
        assert_eq!(Values::default().markdown(), "");
    }
}
