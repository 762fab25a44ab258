//! Cost model: how many 32-bit integer operations one Ed25519 verification executes in the GPU kernel, and a
//! **projection** (not a measurement) of verifications per second on named GPUs from their integer throughput.
//!
//! # Method
//!
//! The counts are taken from the generated WGSL itself (`wgsl_gen::entry::verify_shader`), so they follow the
//! shader whenever the generator changes:
//!
//! 1. The source is tokenised and split into functions; each body becomes a tree of operators, calls of other
//!    shader functions (with their argument expressions), `for` loops and `if` blocks.
//! 2. Operators are classed as `*` → **mul32**; `+`, `-`, `++`, `--` (and `+=`, `-=`) → **add32**; `>>`, `<<`,
//!    `&`, `|`, `^` (and their compound forms) → **logic32** (shifts and masks); comparisons, `&&`, `||`, `!`,
//!    `select` and `abs` → **other**. Array-index arithmetic (`btab[o + 3u]`) counts as written.
//! 3. The entry point `verify` is walked as the GPU executes it for one **valid** signature: every call is
//!    followed into the callee, every `for` loop runs its real trip count (its bounds evaluated from literals,
//!    loop variables and call arguments, e.g. `ext_dbl_n(q, select(4u, 0u, i == 63i))` doubles 4 times per
//!    digit and 0 times on the first; the one table-driven bound, `st.x` in `fe_pow_tail`, comes from the
//!    generator's addition chain `CHAIN`), the loop's condition and increment are counted once per trip, and an
//!    `if` whose condition depends only on loop variables or constants takes its real branch.
//! 4. An `if` on data (the sign of a digit, `fe_cneg`, the `sqrt_ratio` fix-up) is counted **taken**: on a SIMT
//!    GPU a warp executes a branch when any of its lanes takes it, so this is the warp's cost.
//!
//! What the counts are not: instructions. A compiler fuses `a * b + c` into one IMAD, folds constant address
//! offsets, and adds moves, loads/stores (the private 9-entry point table spills to local memory) and loop
//! overhead; the host's SHA-512 and scalar digits are not in the kernel. The projection therefore divides a
//! device's INT32 issue rate by the operations **as written**, an idealised ceiling that says which resource
//! the kernel is made of, not what it reaches.
//!
//! # Projection
//!
//! [`DeviceThroughput`] holds a GPU's SM count, INT32 lanes per SM and boost clock from public specifications
//! (cited on each entry); [`project`] assumes every counted operation issues at the CUDA C Programming Guide's
//! rate for its class (compute capability 8.0–9.0: 64 results per clock per SM for 32-bit integer multiply /
//! multiply-add, add/subtract, shift, bitwise and compare), that classes do not overlap, and that nothing else
//! (memory, occupancy, register spills) limits. The result is labelled [`PROJECTION_LABEL`] everywhere.
//!
//! Extension: a kernel is described by the [`KernelCost`] trait (operation name + [`Int32Counts`] per item);
//! [`Ed25519CostModel`] is the only implementation today, and a BLS12-381 model (G1/G2 aggregation, subgroup
//! checks) can implement the same trait and reuse [`project`].

use crate::ed25519::wgsl_gen::entry::verify_shader;
use crate::ed25519::wgsl_gen::field::CHAIN;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The label every projection carries, in the table and in JSON.
pub const PROJECTION_LABEL: &str = "projection from integer throughput, not a measurement";

/// Counts of 32-bit integer operations, by class (see the module doc for what falls in each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Int32Counts {
    /// Multiplies (`*`).
    pub mul32: u64,
    /// Adds and subtracts (`+`, `-`, `++`, `--`, compound forms).
    pub add32: u64,
    /// Shifts and masks (`>>`, `<<`, `&`, `|`, `^`, compound forms).
    pub logic32: u64,
    /// Comparisons, boolean operators, `select`, `abs`.
    pub other: u64,
}

impl Int32Counts {
    /// All operations.
    pub fn total(&self) -> u64 {
        self.mul32 + self.add32 + self.logic32 + self.other
    }
}

/// A GPU kernel whose per-item integer work is known (implemented by [`Ed25519CostModel`]; a BLS model can
/// implement it too).
pub trait KernelCost {
    /// The operation, as `hsbench crypto` names it (`ed25519-verify`).
    fn operation(&self) -> &'static str;
    /// 32-bit integer operations per item (one verification).
    fn per_item(&self) -> Int32Counts;
}

/// Per-verification integer operation counts of the GPU Ed25519 kernel, derived from its generated WGSL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ed25519CostModel {
    /// 32-bit multiplies per verification.
    pub mul32_per_verify: u64,
    /// 32-bit adds/subtracts per verification.
    pub add32_per_verify: u64,
    /// 32-bit shifts and masks per verification.
    pub logic32_per_verify: u64,
    /// Comparisons, selects and boolean operations per verification.
    pub other_per_verify: u64,
    /// Calls of each shader function per verification (e.g. `fe_mul`, `fe_sq`), for reading the counts.
    pub calls_per_verify: BTreeMap<String, u64>,
    /// Operations of one call of `fe_mul` (20 × 20 limb products plus the reduction).
    pub fe_mul: Int32Counts,
    /// Operations of one call of `fe_sq`.
    pub fe_sq: Int32Counts,
}

impl Ed25519CostModel {
    /// Counts the verifier shader as the generator emits it now (the workgroup size does not change the body).
    pub fn from_shader() -> Result<Self, CostError> {
        Self::from_source(&verify_shader(64))
    }

    fn from_source(src: &str) -> Result<Self, CostError> {
        let shader = Shader::parse(src)?;
        let run = shader.run("verify", &[])?;
        Ok(Ed25519CostModel {
            mul32_per_verify: run.ops.mul32,
            add32_per_verify: run.ops.add32,
            logic32_per_verify: run.ops.logic32,
            other_per_verify: run.ops.other,
            calls_per_verify: run.calls,
            fe_mul: shader.run("fe_mul", &[])?.ops,
            fe_sq: shader.run("fe_sq", &[])?.ops,
        })
    }

    /// The per-verification counts as one [`Int32Counts`].
    pub fn counts(&self) -> Int32Counts {
        Int32Counts {
            mul32: self.mul32_per_verify,
            add32: self.add32_per_verify,
            logic32: self.logic32_per_verify,
            other: self.other_per_verify,
        }
    }

    /// [`project`] of this model on `device`.
    pub fn project(&self, device: &DeviceThroughput) -> Projection {
        project(self, device)
    }
}

impl KernelCost for Ed25519CostModel {
    fn operation(&self) -> &'static str {
        "ed25519-verify"
    }

    fn per_item(&self) -> Int32Counts {
        self.counts()
    }
}

/// Integer throughput of a GPU from its public specification.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DeviceThroughput {
    /// Short name used on the command line (`h100-sxm`).
    pub key: &'static str,
    /// Marketing name.
    pub name: &'static str,
    /// Streaming multiprocessors.
    pub sms: u32,
    /// INT32 results per clock per SM for add/subtract, shift, bitwise and compare.
    pub int32_per_sm_clock: u32,
    /// INT32 results per clock per SM for 32-bit multiply / multiply-add (IMAD).
    pub imad_per_sm_clock: u32,
    /// Boost clock, MHz.
    pub boost_mhz: u32,
    /// Where the figures come from.
    pub source: &'static str,
}

impl DeviceThroughput {
    /// Adds, shifts, masks and compares per second (`sms × int32_per_sm_clock × boost clock`).
    pub fn int32_ops_per_s(&self) -> f64 {
        f64::from(self.sms) * f64::from(self.int32_per_sm_clock) * f64::from(self.boost_mhz) * 1e6
    }

    /// 32-bit multiplies per second (`sms × imad_per_sm_clock × boost clock`).
    pub fn mul32_ops_per_s(&self) -> f64 {
        f64::from(self.sms) * f64::from(self.imad_per_sm_clock) * f64::from(self.boost_mhz) * 1e6
    }

    /// The device whose key or name matches `name` (case-insensitive; `h100` matches `h100-sxm`).
    pub fn find(name: &str) -> Option<&'static DeviceThroughput> {
        let n = name.trim().to_ascii_lowercase();
        DEVICES
            .iter()
            .find(|d| d.key == n || d.name.to_ascii_lowercase() == n)
            .or_else(|| DEVICES.iter().find(|d| !n.is_empty() && d.key.starts_with(&n)))
    }
}

/// Per-SM rates for compute capability 8.0, 8.6, 8.9 and 9.0: CUDA C++ Programming Guide, "Arithmetic
/// Instructions", table "Throughput of Native Arithmetic Instructions (operations per clock cycle per
/// multiprocessor)": 64 for 32-bit integer add/subtract, multiply/multiply-add, shift, bitwise AND/OR/XOR and
/// compare. (On Ampere GA10x / Ada, 64 of the SM's 128 FP32 lanes also execute INT32; on A100 / H100 the SM has
/// 64 dedicated INT32 lanes — 16 per partition, per the A100 and H100 architecture whitepapers.) The figures were
/// written down from those public documents; re-check them against the current editions before publishing a
/// projection, and prefer a measurement (`hsbench crypto` on the GPU) whenever one exists.
const INT32_PER_SM_CLOCK: u32 = 64;

/// The GPUs [`project`] knows. SM counts and boost clocks from NVIDIA's public datasheets / whitepapers.
pub const DEVICES: [DeviceThroughput; 5] = [
    DeviceThroughput {
        key: "h100-sxm",
        name: "H100 SXM",
        sms: 132,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1980,
        source: "NVIDIA H100 Tensor Core GPU Architecture whitepaper (H100 SXM5: 132 SMs, 16 INT32 units per SM \
                 partition) and H100 datasheet (FP32 67 TFLOPS = 132 SMs × 128 lanes × 2 × 1.98 GHz); CUDA guide \
                 rates for cc 9.0",
    },
    DeviceThroughput {
        key: "h200",
        name: "H200 SXM",
        sms: 132,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1980,
        source: "NVIDIA H200 datasheet (same GH100 compute as H100 SXM: FP32 67 TFLOPS, 132 SMs at 1.98 GHz; \
                 more and faster HBM3e, which an integer-bound kernel does not use); CUDA guide rates for cc 9.0",
    },
    DeviceThroughput {
        key: "a100",
        name: "A100 SXM4",
        sms: 108,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1410,
        source: "NVIDIA A100 Tensor Core GPU Architecture whitepaper (108 SMs, 16 INT32 units per SM partition, \
                 boost 1410 MHz; FP32 19.5 TFLOPS = 108 × 64 × 2 × 1.41 GHz); CUDA guide rates for cc 8.0",
    },
    DeviceThroughput {
        key: "rtx-4090",
        name: "GeForce RTX 4090",
        sms: 128,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 2520,
        source: "NVIDIA Ada Lovelace architecture whitepaper (RTX 4090: 128 SMs, 16384 CUDA cores, boost \
                 2520 MHz; half of each SM's 128 lanes execute INT32); CUDA guide rates for cc 8.9",
    },
    DeviceThroughput {
        key: "l4",
        name: "L4",
        sms: 58,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 2040,
        source: "NVIDIA L4 datasheet (AD104, 7424 CUDA cores = 58 SMs, FP32 30.3 TFLOPS = 58 × 128 × 2 × \
                 2.04 GHz; half of each SM's lanes execute INT32); CUDA guide rates for cc 8.9",
    },
];

/// A projected throughput: what the integer counts allow on a device if nothing else limits. Not a measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    /// Always [`PROJECTION_LABEL`].
    pub label: &'static str,
    /// The operation (`ed25519-verify`).
    pub operation: &'static str,
    /// The device's marketing name.
    pub device: &'static str,
    /// Projected items (verifications) per second.
    pub verifies_per_s: f64,
    /// What the time goes to: the INT32 pipe, split by operation class.
    pub bound_by: String,
    /// The counts per item the projection divides by.
    pub per_item: Int32Counts,
    /// The device's adds/shifts/masks/compares per second used (`DeviceThroughput::int32_ops_per_s`).
    pub int32_ops_per_s: f64,
    /// The device's 32-bit multiplies per second used (`DeviceThroughput::mul32_ops_per_s`).
    pub mul32_ops_per_s: f64,
    /// The device figures used.
    pub throughput: DeviceThroughput,
}

/// Items per second of `kernel` on `device` if every counted operation issues at its class's rate and nothing
/// else limits (see the module doc), with what the time goes to.
pub fn project(kernel: &dyn KernelCost, device: &DeviceThroughput) -> Projection {
    let c = kernel.per_item();
    let int_rate = device.int32_ops_per_s().max(1.0);
    let parts = [
        ("multiplies", c.mul32 as f64 / device.mul32_ops_per_s().max(1.0)),
        ("adds", c.add32 as f64 / int_rate),
        ("shifts/masks", c.logic32 as f64 / int_rate),
        ("compares/selects", c.other as f64 / int_rate),
    ];
    let secs: f64 = parts.iter().map(|(_, s)| s).sum();
    let split: Vec<String> =
        parts.iter().map(|(n, s)| format!("{n} {:.0} %", 100.0 * s / secs.max(f64::MIN_POSITIVE))).collect();
    Projection {
        label: PROJECTION_LABEL,
        operation: kernel.operation(),
        device: device.name,
        verifies_per_s: if secs > 0.0 { 1.0 / secs } else { 0.0 },
        bound_by: format!("INT32 issue, {} per SM per clock ({})", device.int32_per_sm_clock, split.join(", ")),
        per_item: c,
        int32_ops_per_s: device.int32_ops_per_s(),
        mul32_ops_per_s: device.mul32_ops_per_s(),
        throughput: *device,
    }
}

/// The shader could not be counted (the generator produced something the counter does not understand).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cost model: {0}")]
pub struct CostError(String);

fn err<T>(msg: impl Into<String>) -> Result<T, CostError> {
    Err(CostError(msg.into()))
}

// ---------------------------------------------------------------------------------------------------------
// Counting the WGSL.

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(i64),
    Op(&'static str),
    Punct(char),
}

const OPS: [&str; 32] = [
    ">>=", "<<=", "&&", "||", "==", "!=", "<=", ">=", "+=", "-=", "*=", "&=", "|=", "^=", "++", "--", "->", ">>", "<<",
    "+", "-", "*", "/", "%", "&", "|", "^", "!", "<", ">", "=", "~",
];

/// Identifiers followed by a `<…>` template list (types and `bitcast`), not a comparison.
const TEMPLATED: [&str; 6] = ["array", "vec2", "vec3", "vec4", "bitcast", "ptr"];

fn lex(src: &str) -> Result<Vec<Tok>, CostError> {
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
            let v = src[s..i].parse::<i64>().map_err(|e| CostError(format!("number {}: {e}", &src[s..i])))?;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Mul,
    Add,
    Logic,
    Other,
}

fn class_of(op: &str) -> Option<Class> {
    match op {
        "*" | "*=" => Some(Class::Mul),
        "+" | "-" | "+=" | "-=" | "++" | "--" => Some(Class::Add),
        ">>" | "<<" | "&" | "|" | "^" | ">>=" | "<<=" | "&=" | "|=" | "^=" | "~" => Some(Class::Logic),
        "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "!" => Some(Class::Other),
        _ => None,
    }
}

/// One step of a function body, in execution order.
#[derive(Debug)]
enum Item {
    Op(Class),
    Call {
        name: String,
        args: Vec<Vec<Tok>>,
    },
    /// `let`/`var` of a name: it no longer refers to a parameter or loop variable.
    Unbind(String),
    Loop {
        var: String,
        init: Vec<Tok>,
        cond: Vec<Tok>,
        incr: Vec<Tok>,
        cond_items: Vec<Item>,
        body: Vec<Item>,
    },
    If {
        cond: Vec<Tok>,
        body: Vec<Item>,
        els: Vec<Item>,
    },
}

struct Function {
    params: Vec<String>,
    body: Vec<Item>,
}

/// The parsed shader: every function by name.
pub(crate) struct Shader {
    fns: HashMap<String, Function>,
}

/// Index of the token closing the bracket opened at `open`.
fn close_of(t: &[Tok], open: usize) -> Result<usize, CostError> {
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
fn skip_template(t: &[Tok], lt: usize) -> Result<usize, CostError> {
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
fn split_top(t: &[Tok], sep: &Tok) -> Vec<Vec<Tok>> {
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

impl Shader {
    /// Counts of one call of function `name` of the shader `src` (a straight-line function: no data-dependent
    /// trip counts), for models built elsewhere in the crate (the BLS kernels' field operations).
    pub(crate) fn function_counts(src: &str, name: &str) -> Result<Int32Counts, CostError> {
        Ok(Self::parse(src)?.run(name, &[])?.ops)
    }

    fn parse(src: &str) -> Result<Shader, CostError> {
        let t = lex(src)?;
        // First pass: function names, so calls can be told from constructors.
        let names: Vec<String> = t
            .windows(2)
            .filter_map(|w| match w {
                [Tok::Ident(k), Tok::Ident(n)] if k == "fn" => Some(n.clone()),
                _ => None,
            })
            .collect();
        let mut fns = HashMap::new();
        let mut i = 0;
        while i < t.len() {
            if let (Tok::Ident(k), Some(Tok::Ident(name))) = (&t[i], t.get(i + 1))
                && k == "fn"
            {
                let open = i + 2;
                let close = close_of(&t, open)?;
                let params = split_top(&t[open + 1..close], &Tok::Punct(','))
                    .iter()
                    .filter_map(|p| match p.first() {
                        Some(Tok::Ident(n)) => Some(n.clone()),
                        _ => None,
                    })
                    .collect();
                let body_open = (close..t.len())
                    .find(|&j| t[j] == Tok::Punct('{'))
                    .ok_or_else(|| CostError(format!("fn {name} has no body")))?;
                let body_close = close_of(&t, body_open)?;
                let body = parse_items(&t[body_open + 1..body_close], &names)?;
                fns.insert(name.clone(), Function { params, body });
                i = body_close + 1;
            } else {
                i += 1;
            }
        }
        Ok(Shader { fns })
    }

    /// Executes function `name` with argument values `args` (unknown ones `None`), counting operations and calls.
    fn run(&self, name: &str, args: &[Option<i64>]) -> Result<Run, CostError> {
        let mut run = Run::default();
        self.call(name, args, &mut run, 0)?;
        Ok(run)
    }

    fn call(&self, name: &str, args: &[Option<i64>], run: &mut Run, depth: usize) -> Result<(), CostError> {
        let Some(f) = self.fns.get(name) else { return err(format!("no function {name}")) };
        if depth > 64 {
            return err(format!("call depth exceeded at {name}"));
        }
        *run.calls.entry(name.to_string()).or_default() += 1;
        let mut env: HashMap<String, i64> = HashMap::new();
        for (p, a) in f.params.iter().zip(args) {
            if let Some(v) = a {
                env.insert(p.clone(), *v);
            }
        }
        self.exec(name, &f.body, &mut env, run, depth)
    }

    fn exec(
        &self,
        func: &str,
        items: &[Item],
        env: &mut HashMap<String, i64>,
        run: &mut Run,
        depth: usize,
    ) -> Result<(), CostError> {
        for item in items {
            match item {
                Item::Op(c) => run.count(*c, 1),
                Item::Unbind(n) => {
                    env.remove(n);
                }
                Item::Call { name, args } => {
                    let vals: Vec<Option<i64>> = args.iter().map(|a| eval(a, env)).collect();
                    self.call(name, &vals, run, depth + 1)?;
                }
                Item::If { cond, body, els } => match eval(cond, env) {
                    Some(0) => self.exec(func, els, env, run, depth)?,
                    Some(_) => self.exec(func, body, env, run, depth)?,
                    // Data-dependent: a warp runs both sides when its lanes disagree.
                    None => {
                        self.exec(func, body, env, run, depth)?;
                        self.exec(func, els, env, run, depth)?;
                    }
                },
                Item::Loop { var, init, cond, incr, cond_items, body } => {
                    let Some(mut x) = eval(init, env) else {
                        return err(format!("{func}: loop start {init:?} unknown"));
                    };
                    let (op, bound) = match cond.as_slice() {
                        [Tok::Ident(v), Tok::Op(op), rest @ ..] if v == var => (*op, rest),
                        _ => return err(format!("{func}: loop condition {cond:?} not `{var} <op> bound`")),
                    };
                    let step = match incr.as_slice() {
                        [Tok::Ident(v), Tok::Op("++")] if v == var => 1,
                        [Tok::Ident(v), Tok::Op("--")] if v == var => -1,
                        _ => return err(format!("{func}: loop increment {incr:?} not `{var}++` / `{var}--`")),
                    };
                    let saved = env.get(var).copied();
                    let mut trips = 0u64;
                    loop {
                        env.insert(var.clone(), x);
                        let Some(b) = eval(bound, env).or_else(|| table_bound(func, bound, env)) else {
                            return err(format!("{func}: loop bound {bound:?} unknown"));
                        };
                        // The condition is evaluated on every trip and once more to exit.
                        self.exec(func, cond_items, env, run, depth)?;
                        let go = match op {
                            "<" => x < b,
                            "<=" => x <= b,
                            ">" => x > b,
                            ">=" => x >= b,
                            _ => return err(format!("{func}: loop comparison {op} unsupported")),
                        };
                        if !go {
                            break;
                        }
                        self.exec(func, body, env, run, depth)?;
                        run.count(Class::Add, 1); // the increment
                        x += step;
                        trips += 1;
                        if trips > 1 << 20 {
                            return err(format!("{func}: loop does not end"));
                        }
                    }
                    match saved {
                        Some(v) => env.insert(var.clone(), v),
                        None => env.remove(var),
                    };
                }
            }
        }
        Ok(())
    }
}

/// The bound of `fe_pow_tail`'s squaring loop, `k < st.x`: entry `step` of the generator's addition chain
/// (`POW_CHAIN` in the shader is `CHAIN`), or the caller's `tail_sq` on the last step.
fn table_bound(func: &str, bound: &[Tok], env: &HashMap<String, i64>) -> Option<i64> {
    let is_st_x = matches!(bound, [Tok::Ident(s), Tok::Punct('.'), Tok::Ident(x)] if s == "st" && x == "x");
    if func != "fe_pow_tail" || !is_st_x {
        return None;
    }
    let step = usize::try_from(*env.get("step")?).ok()?;
    match CHAIN.get(step) {
        Some(&(squarings, _, _)) => Some(i64::from(squarings)),
        None => env.get("tail_sq").copied(),
    }
}

/// What a walk counted.
#[derive(Default)]
struct Run {
    ops: Int32Counts,
    calls: BTreeMap<String, u64>,
}

impl Run {
    fn count(&mut self, c: Class, n: u64) {
        match c {
            Class::Mul => self.ops.mul32 += n,
            Class::Add => self.ops.add32 += n,
            Class::Logic => self.ops.logic32 += n,
            Class::Other => self.ops.other += n,
        }
    }
}

/// Parses a statement list (a body, a loop body, an expression).
fn parse_items(t: &[Tok], fns: &[String]) -> Result<Vec<Item>, CostError> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match &t[i] {
            Tok::Ident(k) if k == "for" => {
                let close = close_of(t, i + 1)?;
                let header = split_top(&t[i + 2..close], &Tok::Punct(';'));
                let [init, cond, incr] = header.as_slice() else {
                    return err(format!("for header {header:?}"));
                };
                let (var, init_expr) = match init.as_slice() {
                    [Tok::Ident(v), Tok::Ident(name), Tok::Op("="), rest @ ..] if v == "var" => {
                        (name.clone(), rest.to_vec())
                    }
                    _ => return err(format!("for init {init:?} is not `var x = …`")),
                };
                let body_open = close + 1;
                let body_close = close_of(t, body_open)?;
                items.push(Item::Loop {
                    var,
                    init: init_expr,
                    cond: cond.clone(),
                    incr: incr.clone(),
                    cond_items: parse_items(cond, fns)?,
                    body: parse_items(&t[body_open + 1..body_close], fns)?,
                });
                i = body_close + 1;
            }
            Tok::Ident(k) if k == "if" => {
                let close = close_of(t, i + 1)?;
                let cond = t[i + 2..close].to_vec();
                items.extend(parse_items(&cond, fns)?);
                let body_close = close_of(t, close + 1)?;
                let body = parse_items(&t[close + 2..body_close], fns)?;
                i = body_close + 1;
                let mut els = Vec::new();
                if matches!(t.get(i), Some(Tok::Ident(e)) if e == "else") {
                    let else_close = close_of(t, i + 1)?;
                    els = parse_items(&t[i + 2..else_close], fns)?;
                    i = else_close + 1;
                }
                items.push(Item::If { cond, body, els });
            }
            Tok::Ident(k) if (k == "let" || k == "var") => {
                if let Some(Tok::Ident(n)) = t.get(i + 1) {
                    items.push(Item::Unbind(n.clone()));
                }
                i += 2;
            }
            Tok::Ident(name) if TEMPLATED.contains(&name.as_str()) && t.get(i + 1) == Some(&Tok::Op("<")) => {
                i = skip_template(t, i + 1)?;
            }
            Tok::Ident(name) if t.get(i + 1) == Some(&Tok::Punct('(')) => {
                let close = close_of(t, i + 1)?;
                let inner = &t[i + 2..close];
                if fns.contains(name) {
                    let args = split_top(inner, &Tok::Punct(','));
                    for a in &args {
                        items.extend(parse_items(a, fns)?);
                    }
                    items.push(Item::Call { name: name.clone(), args });
                    i = close + 1;
                } else {
                    if name == "select" || name == "abs" {
                        items.push(Item::Op(Class::Other));
                    }
                    // Constructors, casts and builtins: their arguments are ordinary expressions.
                    i += 1;
                }
            }
            Tok::Op(op) => {
                if let Some(c) = class_of(op) {
                    items.push(Item::Op(c));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(items)
}

/// Value of a small integer expression (literals, bound names, `select`, casts, comparisons, `+ - *`), or
/// `None` when it depends on data.
fn eval(t: &[Tok], env: &HashMap<String, i64>) -> Option<i64> {
    match t {
        [Tok::Num(v)] => return Some(*v),
        [Tok::Ident(n)] => return env.get(n).copied(),
        [Tok::Punct('('), inner @ .., Tok::Punct(')')] if close_of(t, 0).ok() == Some(t.len() - 1) => {
            return eval(inner, env);
        }
        [Tok::Ident(f), Tok::Punct('('), inner @ .., Tok::Punct(')')] if close_of(t, 1).ok() == Some(t.len() - 1) => {
            let args = split_top(inner, &Tok::Punct(','));
            return match (f.as_str(), args.as_slice()) {
                ("select", [f, tr, c]) => Some(if eval(c, env)? != 0 { eval(tr, env)? } else { eval(f, env)? }),
                ("u32" | "i32", [a]) => eval(a, env),
                _ => None,
            };
        }
        _ => {}
    }
    // Lowest-precedence binary operator at top level, rightmost (left-associative).
    for group in [&["||"][..], &["&&"], &["==", "!=", "<", "<=", ">", ">="], &["+", "-"], &["*"]] {
        let mut depth = 0i32;
        let mut at = None;
        for (i, tok) in t.iter().enumerate() {
            match tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => depth -= 1,
                Tok::Op(op) if depth == 0 && i > 0 && group.contains(op) => at = Some((i, *op)),
                _ => {}
            }
        }
        if let Some((i, op)) = at {
            let (a, b) = (eval(&t[..i], env)?, eval(&t[i + 1..], env)?);
            return Some(match op {
                "||" => i64::from(a != 0 || b != 0),
                "&&" => i64::from(a != 0 && b != 0),
                "==" => i64::from(a == b),
                "!=" => i64::from(a != b),
                "<" => i64::from(a < b),
                "<=" => i64::from(a <= b),
                ">" => i64::from(a > b),
                ">=" => i64::from(a >= b),
                "+" => a.checked_add(b)?,
                "-" => a.checked_sub(b)?,
                _ => a.checked_mul(b)?,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ed25519::wgsl_gen::field::LIMBS;

    fn model() -> Ed25519CostModel {
        Ed25519CostModel::from_shader().unwrap()
    }

    /// `fe_mul` = the 20×20 schoolbook product (L² multiplies, L² − (2L − 1) column adds) plus the reduction of
    /// `wgsl_gen/field.rs`: 38 column carries (add, shift, mask), the top carry (shift, mask), the fold of the
    /// high 20 limbs (× 608, add), and `carry_fold` (19 carries, the × 608 wrap, 2 more carries).
    #[test]
    fn fe_mul_and_fe_sq_match_the_limb_layout() {
        let m = model();
        let l = LIMBS as u64;
        let cols = 2 * l - 1;
        let carry_fold = Int32Counts { mul32: 1, add32: (l - 1) + 1 + 2, logic32: 2 * ((l - 1) + 1 + 2), other: 0 };
        let reduce = Int32Counts {
            mul32: l + carry_fold.mul32,
            add32: (cols - 1) + l + carry_fold.add32,
            logic32: 2 * (cols - 1) + 2 + carry_fold.logic32,
            other: 0,
        };
        let mul = Int32Counts {
            mul32: l * l + reduce.mul32,
            add32: (l * l - cols) + reduce.add32,
            logic32: reduce.logic32,
            other: 0,
        };
        assert_eq!(m.fe_mul, mul);
        // Squaring: L(L+1)/2 products (cross terms use the doubled limbs d_i = a_i << 1), L doublings.
        let sq_products = l * (l + 1) / 2;
        let sq = Int32Counts {
            mul32: sq_products + reduce.mul32,
            add32: (sq_products - cols) + reduce.add32,
            logic32: l + reduce.logic32,
            other: 0,
        };
        assert_eq!(m.fe_sq, sq);
    }

    /// The walk's call counts equal a hand derivation from the algorithm: 64 signed radix-16 digits per scalar
    /// (one shared chain of 63 × 4 doublings, 2 table additions per digit), a 9-entry table of `[j]P` (1
    /// doubling, 6 additions), the `- R` addition, `[8]` (3 doublings), and two decompressions, each with one
    /// `a^((p-5)/8)` (the addition chain's squarings + 2, 12 multiplies).
    #[test]
    fn call_counts_follow_the_algorithm() {
        let m = model();
        let calls = |f: &str| m.calls_per_verify.get(f).copied().unwrap_or(0);
        let digits = 64u64;
        let doublings = 1 + (digits - 1) * 4 + 3;
        let additions = 6 + 2 * digits + 1;
        let niels = 1 + 1 + 6 + 1;
        let chain_sq: u64 = CHAIN.iter().map(|c| u64::from(c.0)).sum::<u64>() + 2;
        let chain_mul = CHAIN.len() as u64 + 1;
        // decompress: fe_sq(y), fe_mul(yy, D), sqrt_ratio (v3, v7, u·v3, u·v7, ·pow, check, ·sqrt(-1) twice:
        // flipped_i and the taken fix-up = 8 multiplies, 3 squarings), fe_mul(x, y).
        let decompress_mul = 1 + 8 + chain_mul + 1;
        let decompress_sq = 1 + 3 + chain_sq;
        assert_eq!(calls("proj_dbl"), doublings);
        assert_eq!(calls("ext_add_niels"), additions);
        assert_eq!(calls("ext_to_niels"), niels);
        assert_eq!(calls("decompress"), 2);
        assert_eq!(calls("fe_pow_p58"), 2);
        assert_eq!(calls("fe_mul"), 4 * doublings + 8 * additions + niels + 2 * decompress_mul);
        assert_eq!(calls("fe_sq"), 4 * doublings + 2 * decompress_sq);
        assert_eq!(calls("load_b"), digits);
        assert_eq!(calls("verify"), 1);
    }

    /// The totals are dominated by the field multiplications and stay consistent with them; the projection is
    /// labelled and positive on every known device; names resolve.
    #[test]
    fn totals_and_projections_are_consistent() {
        let m = model();
        let calls = |f: &str| m.calls_per_verify.get(f).copied().unwrap_or(0);
        let field_mul = calls("fe_mul") * m.fe_mul.mul32 + calls("fe_sq") * m.fe_sq.mul32;
        assert!(m.mul32_per_verify >= field_mul);
        // The only other multiplies: fe_add / fe_sub's × 608 wrap, fe_canon's three folds, the table and digit
        // indices, and a handful of addresses in the entry point.
        let rest = calls("fe_add") + calls("fe_sub") + calls("fe_canon") * 3 + calls("load_b") + calls("digit");
        assert!((rest..=rest + 16).contains(&(m.mul32_per_verify - field_mul)), "{m:?}");
        assert_eq!(m, model(), "the count is deterministic");
        for d in &DEVICES {
            let p = m.project(d);
            assert_eq!(p.label, PROJECTION_LABEL);
            assert!(p.verifies_per_s > 1e5 && p.verifies_per_s < 1e8, "{p:?}");
            assert_eq!(DeviceThroughput::find(d.key), Some(d));
            assert_eq!(DeviceThroughput::find(d.name), Some(d));
        }
        assert_eq!(DeviceThroughput::find("H100").map(|d| d.key), Some("h100-sxm"));
        assert!(DeviceThroughput::find("tpu").is_none());
        println!("{m:#?}");
        for d in &DEVICES {
            let p = m.project(d);
            println!("{}: {:.0} verifies/s ({})", p.device, p.verifies_per_s, p.bound_by);
        }
    }

    #[test]
    fn evaluator_and_branches() {
        let env: HashMap<String, i64> = [("i".to_string(), 63)].into();
        let t = lex("select(4u, 0u, i == 63i)").unwrap();
        assert_eq!(eval(&t, &env), Some(0));
        let t = lex("select(4u, 0u, i == 62i)").unwrap();
        assert_eq!(eval(&t, &HashMap::from([("i".to_string(), 5)])), Some(4));
        // A data-dependent if counts both sides; a constant one only its branch.
        let src = "fn f(a: u32) -> u32 { var r = a; if (a < 3u) { r = r * 2u; } else { r = r + 1u; } \
                   for (var k = 0u; k < 3u; k++) { if (k == 1u) { r = r >> 1u; } } return r; }";
        let s = Shader::parse(src).unwrap();
        let run = s.run("f", &[None]).unwrap();
        assert_eq!(run.ops, Int32Counts { mul32: 1, add32: 1 + 3, logic32: 1, other: 1 + 4 + 3 });
        let run = s.run("f", &[Some(1)]).unwrap();
        assert_eq!((run.ops.mul32, run.ops.add32), (1, 3));
    }
}
