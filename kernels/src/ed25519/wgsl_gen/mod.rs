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
    use super::entry::{field_test_shader, point_test_shader, verify_shader};

    /// Every generated shader passes naga's WGSL front end and validator, in-process (the naga wgpu builds on;
    /// milliseconds, no GPU, no CLI: it never skips). Workgroup sizes as dispatched (8 in the GPU tests, 64 by
    /// default) and the largest a verifier may ask for.
    #[test]
    fn generated_shaders_validate_with_naga() {
        for workgroup in [8, 64, 256] {
            for (name, src) in [
                ("field_test", field_test_shader(workgroup)),
                ("point_test", point_test_shader(workgroup)),
                ("verify", verify_shader(workgroup)),
            ] {
                let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| {
                    panic!("naga cannot parse {name} (workgroup {workgroup}):\n{}", e.emit_to_string(&src))
                });
                naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
                    .validate(&module)
                    .unwrap_or_else(|e| {
                        panic!("naga rejects {name} (workgroup {workgroup}):\n{}", e.emit_to_string(&src))
                    });
                // The entry point the kernels dispatch (named as the shader), a compute one of this size.
                let entry = module.entry_points.iter().find(|e| e.name == name);
                let entry = entry.unwrap_or_else(|| panic!("{name}: no entry point `{name}`"));
                assert_eq!((entry.stage, entry.workgroup_size), (naga::ShaderStage::Compute, [workgroup, 1, 1]));
            }
        }
    }
}
