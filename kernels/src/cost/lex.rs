//! Tokens of the WGSL the counter reads, and the bracket helpers its parser splits them with.

use super::count::{CostError, err};

/// One WGSL token.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    /// A name or keyword.
    Ident(String),
    /// An integer literal (its `u`/`i` suffix dropped).
    Num(i64),
    /// An operator, one of [`OPS`].
    Op(&'static str),
    /// Brackets and separators: `(){}[],;:.@`.
    Punct(char),
}

/// The operators, longest first so `>>=` is not read as `>>` then `=`.
const OPS: [&str; 32] = [
    ">>=", "<<=", "&&", "||", "==", "!=", "<=", ">=", "+=", "-=", "*=", "&=", "|=", "^=", "++", "--", "->", ">>", "<<",
    "+", "-", "*", "/", "%", "&", "|", "^", "!", "<", ">", "=", "~",
];

/// Identifiers followed by a `<…>` template list (types and `bitcast`), not a comparison.
pub(super) const TEMPLATED: [&str; 6] = ["array", "vec2", "vec3", "vec4", "bitcast", "ptr"];

/// The tokens of `src` (comments dropped, number suffixes `u`/`i` stripped).
pub(super) fn lex(src: &str) -> Result<Vec<Tok>, CostError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Ident(src[s..i].to_string()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let v = src[s..i].parse::<i64>().map_err(|e| CostError::new(format!("number {}: {e}", &src[s..i])))?;
            while i < b.len() && (b[i] == b'u' || b[i] == b'i') {
                i += 1;
            }
            out.push(Tok::Num(v));
        } else if let Some(op) = OPS.iter().find(|op| src[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else if "(){}[],;:.@".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return err(format!("unexpected character {c:?}"));
        }
    }
    Ok(out)
}

/// Index of the token closing the bracket opened at `open`.
pub(super) fn close_of(t: &[Tok], open: usize) -> Result<usize, CostError> {
    let (o, c) = match t.get(open) {
        Some(Tok::Punct('(')) => ('(', ')'),
        Some(Tok::Punct('{')) => ('{', '}'),
        Some(Tok::Punct('[')) => ('[', ']'),
        other => return err(format!("expected a bracket, found {other:?}")),
    };
    let mut depth = 0usize;
    for (i, tok) in t.iter().enumerate().skip(open) {
        if *tok == Tok::Punct(o) {
            depth += 1;
        } else if *tok == Tok::Punct(c) {
            depth -= 1;
            if depth == 0 {
                return Ok(i);
            }
        }
    }
    err(format!("unclosed {o}"))
}

/// Index just past the template list starting at `lt` (a `<`).
pub(super) fn skip_template(t: &[Tok], lt: usize) -> Result<usize, CostError> {
    let mut depth = 0i32;
    for (i, tok) in t.iter().enumerate().skip(lt) {
        match tok {
            Tok::Op("<") => depth += 1,
            Tok::Op(">") => depth -= 1,
            Tok::Op(">>") => depth -= 2,
            _ => {}
        }
        if depth <= 0 {
            return Ok(i + 1);
        }
    }
    err("unclosed template list")
}

/// Splits `t` at top-level occurrences of `sep`.
pub(super) fn split_top(t: &[Tok], sep: &Tok) -> Vec<Vec<Tok>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0i32;
    for tok in t {
        match tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth -= 1,
            _ => {}
        }
        if depth == 0 && tok == sep {
            parts.push(Vec::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(tok.clone());
        }
    }
    if parts.last().is_some_and(Vec::is_empty) {
        parts.pop();
    }
    parts
}

/// The tokens as one string without spaces (`st.x`), for matching an expression by its text.
pub(super) fn text(t: &[Tok]) -> String {
    t.iter()
        .map(|tok| match tok {
            Tok::Ident(s) => s.clone(),
            Tok::Num(v) => v.to_string(),
            Tok::Op(op) => (*op).to_string(),
            Tok::Punct(c) => c.to_string(),
        })
        .collect()
}
