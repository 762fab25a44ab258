//! The dotted field path (`metrics.curve[3].rate_tps`) at a line and column of a JSON text, so that a typed read
//! that fails can name the field, not only a position.

/// One open container while scanning.
struct Frame {
    /// An object (else an array).
    object: bool,
    /// The object's current key.
    key: Option<String>,
    /// Whether the current member's `:` was seen (the key is in force).
    after_colon: bool,
    /// The array's current index.
    index: usize,
}

/// The byte offset of a 1-based `line` and `column` in `text` (clamped to its length).
fn offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column).min(text.len())
}

/// The path of the value that ends at (or contains) `line`:`column` of `text`; empty at the root.
pub(super) fn path_at(text: &str, line: usize, column: usize) -> String {
    let end = offset(text, line, column);
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'{' | b'[' => {
                stack.push(Frame { object: bytes[i] == b'{', key: None, after_colon: false, index: 0 });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(f) = stack.last_mut() {
                    f.after_colon = true;
                }
            }
            b',' => {
                if let Some(f) = stack.last_mut() {
                    f.after_colon = false;
                    f.index += 1;
                }
            }
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(f) = stack.last_mut().filter(|f| f.object && !f.after_colon) {
                    let raw = text.get(start..i.min(text.len())).unwrap_or_default();
                    f.key = Some(serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_string()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for f in &stack {
        if !f.object {
            path.push_str(&format!("[{}]", f.index));
        } else if let (true, Some(key)) = (f.after_colon, &f.key) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
        }
    }
    path
}

/// `path` with `key` appended as a member.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}
