//! The WGSL text builder both schemes' generators write their shaders with.

/// An indented WGSL text builder.
#[derive(Default)]
pub(crate) struct Src {
    text: String,
    depth: usize,
}

impl Src {
    /// Appends one line at the current indentation.
    pub fn line(&mut self, l: impl AsRef<str>) {
        for _ in 0..self.depth {
            self.text.push_str("    ");
        }
        self.text.push_str(l.as_ref());
        self.text.push('\n');
    }

    /// Appends `l` (ending in `{`) and indents.
    pub fn open(&mut self, l: impl AsRef<str>) {
        self.line(l);
        self.depth += 1;
    }

    /// Dedents and closes a block with `}` and a blank line at top level.
    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line("}");
        if self.depth == 0 {
            self.text.push('\n');
        }
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }
}
