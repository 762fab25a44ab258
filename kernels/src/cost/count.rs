//! The generic op counter: reads a WGSL shader as written and counts the 32-bit integer operations one thread
//! executes when it runs a function, for the cost models of both schemes ([`super::ed25519`],
//! [`super::bls12_381`]).
//!
//! # Method
//!
//! The counts are taken from the generated WGSL itself (for Ed25519, `wgsl_gen::entry::verify_shader`), so
//! they follow the shader whenever the generator changes:
//!
//! 1. The source is tokenised and split into functions; each body becomes a tree of operators, calls of other
//!    shader functions (with their argument expressions), `for` loops and `if` blocks.
//! 2. Operators are classed as `*` → **mul32**; `+`, `-`, `++`, `--` (and `+=`, `-=`) → **add32**; `>>`, `<<`,
//!    `&`, `|`, `^` (and their compound forms) → **logic32** (shifts and masks); comparisons, `&&`, `||`, `!`,
//!    `select` and `abs` → **other**. Array-index arithmetic (`btab[o + 3u]`) counts as written.
//! 3. The entry point (Ed25519's `verify`) is walked as the GPU executes it for one **valid** signature: every
//!    call is followed into the callee, every `for` loop runs its real trip count (its bounds evaluated from
//!    literals, loop variables and call arguments, e.g. `ext_dbl_n(q, select(4u, 0u, i == 63i))` doubles 4 times
//!    per digit and 0 times on the first; the one table-driven bound, `st.x` in `fe_pow_tail`, comes from the
//!    generator's addition chain `CHAIN`, which the Ed25519 model supplies through [`Shader::with_table_bounds`]),
//!    the loop's condition and increment are counted once per trip, and an `if` whose condition depends only on
//!    loop variables or constants takes its real branch.
//! 4. An `if` on data (the sign of a digit, `fe_cneg`, the `sqrt_ratio` fix-up) is counted **taken**: on a SIMT
//!    GPU a warp executes a branch when any of its lanes takes it, so this is the warp's cost.
//!
//! What the counts are not: instructions. A compiler fuses `a * b + c` into one IMAD, folds constant address
//! offsets, and adds moves, loads/stores (the private 9-entry point table spills to local memory) and loop
//! overhead; the host's SHA-512 and scalar digits are not in the kernel. The projection therefore divides a
//! device's INT32 issue rate by the operations **as written**, an idealised ceiling that says which resource
//! the kernel is made of, not what it reaches.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::lex::{TEMPLATED, Tok, close_of, lex, skip_template, split_top, text};

/// Counts of 32-bit integer operations, by class (the method in `cost/count.rs` says what falls in each).
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

/// The shader could not be counted (the generator produced something the counter does not understand).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cost model: {0}")]
pub struct CostError(String);

impl CostError {
    /// An error saying `msg`.
    pub(super) fn new(msg: impl Into<String>) -> Self {
        CostError(msg.into())
    }
}

/// `Err` with a [`CostError`] saying `msg`.
pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, CostError> {
    Err(CostError::new(msg))
}

/// A loop bound the source does not carry (read from a table inside the shader), supplied by a scheme's model:
/// given the function, the bound expression as text (`st.x`) and the values of the integer names in scope, the
/// bound, or `None` when it is not one the model knows.
pub(crate) type TableBounds = fn(func: &str, bound: &str, env: &HashMap<String, i64>) -> Option<i64>;

/// An operator's class (the four fields of [`Int32Counts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Mul,
    Add,
    Logic,
    Other,
}

/// The class of operator `op`, or `None` for one that is not counted (assignment, `->`, `/`, `%`).
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

/// One shader function: its parameter names and its body.
struct Function {
    params: Vec<String>,
    body: Vec<Item>,
}

/// The parsed shader: every function by name, and the loop bounds its tables hold.
pub(crate) struct Shader {
    fns: HashMap<String, Function>,
    table_bounds: TableBounds,
}

impl Shader {
    /// Counts of one call of function `name` of the shader `src` (a straight-line function: no data-dependent
    /// trip counts), for models built elsewhere in the crate (the BLS kernels' field operations).
    pub(crate) fn function_counts(src: &str, name: &str) -> Result<Int32Counts, CostError> {
        Ok(Self::parse(src)?.run(name, &[])?.ops)
    }

    /// Parses `src` (no table-driven loop bounds known: see [`Shader::with_table_bounds`]).
    pub(crate) fn parse(src: &str) -> Result<Shader, CostError> {
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
                    .ok_or_else(|| CostError::new(format!("fn {name} has no body")))?;
                let body_close = close_of(&t, body_open)?;
                let body = parse_items(&t[body_open + 1..body_close], &names)?;
                fns.insert(name.clone(), Function { params, body });
                i = body_close + 1;
            } else {
                i += 1;
            }
        }
        Ok(Shader { fns, table_bounds: |_, _, _| None })
    }

    /// This shader with `bounds` answering the loop bounds the source does not carry.
    pub(crate) fn with_table_bounds(self, bounds: TableBounds) -> Self {
        Shader { table_bounds: bounds, ..self }
    }

    /// Executes function `name` with argument values `args` (unknown ones `None`), counting operations and calls.
    pub(crate) fn run(&self, name: &str, args: &[Option<i64>]) -> Result<Run, CostError> {
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
                        let Some(b) = eval(bound, env).or_else(|| (self.table_bounds)(func, &text(bound), env)) else {
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

/// What a walk counted.
#[derive(Default)]
pub(crate) struct Run {
    /// Operations executed.
    pub ops: Int32Counts,
    /// Calls of each shader function (the walked function included).
    pub calls: BTreeMap<String, u64>,
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
