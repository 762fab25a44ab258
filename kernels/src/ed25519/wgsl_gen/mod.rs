//! Rust generator for the Ed25519 WGSL shaders. Everything is emitted straight-line (limb
//! arithmetic fully unrolled) at run time, so the shader text is a pure function of this code.
//!
//! - [`field`]: arithmetic mod 2^255 - 19 on 20 × 13-bit u32 limbs;
//! - [`curve`]: extended-coordinate Edwards points, decompression, the joint double-scalar
//!   multiplication `[S]B + [k]P` with a fixed-base table for `B`;
//! - [`entry`]: the compute entry points (the verifier, and test kernels).

pub(crate) mod curve;
pub(crate) mod entry;
pub(crate) mod field;

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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use super::entry::{field_test_shader, point_test_shader, verify_shader};

    /// The `naga` CLI if installed (`/usr/local/bin/naga` on the project's machine image).
    fn naga() -> Option<PathBuf> {
        let fixed = PathBuf::from("/usr/local/bin/naga");
        if fixed.exists() {
            return Some(fixed);
        }
        Command::new("naga").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "naga".into())
    }

    /// Every generated shader passes naga's WGSL front end and validator (milliseconds, no GPU).
    #[test]
    fn generated_shaders_validate_with_naga() {
        let Some(naga) = naga() else {
            println!("skipped: naga CLI not found (install it, or see /usr/local/bin/naga on the CI image)");
            return;
        };
        let dir = std::env::temp_dir().join(format!("hsbench-kernels-naga-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, src) in [
            ("field_test", field_test_shader(64)),
            ("point_test", point_test_shader(64)),
            ("verify", verify_shader(64)),
        ] {
            let path = dir.join(format!("{name}.wgsl"));
            std::fs::write(&path, &src).unwrap();
            let out = Command::new(&naga).arg(&path).output().unwrap();
            assert!(
                out.status.success(),
                "naga rejected {name} ({} lines, {}): {}{}",
                src.lines().count(),
                path.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            println!("{name}: {} lines, {} bytes, naga ok", src.lines().count(), src.len());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
