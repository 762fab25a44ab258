//! The floors of the engine point one way: types and crypto → protocol vocabulary → components (bft, mempool,
//! provisioning, execution, livelock, storage) → node → runtime (setup, services, the one action performer, the
//! pipeline) → sim. These tests read the sources and fail on an arrow pointing up, so a refactor cannot quietly
//! turn the floors upside down again.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn src(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(folder)
}

/// Every `crate::<module>` a file under `folder` names, as (file, module) for the modules in `forbidden`.
fn arrows_into(folder: &str, forbidden: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for file in sources(&src(folder)) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for m in forbidden {
            if text.contains(&format!("crate::{m}::")) || text.contains(&format!("crate::{m}{{")) {
                bad.push(format!("{} imports crate::{m}", file.display()));
            }
        }
    }
    bad
}

#[test]
fn nothing_below_the_node_imports_the_node_a_runtime_or_the_simulator() {
    let mut bad = Vec::new();
    for folder in ["types", "crypto", "protocol", "bft", "mempool", "provisioning", "execution", "livelock", "storage"]
    {
        bad.extend(arrows_into(folder, &["node", "runtime", "sim", "network"]));
    }
    assert!(bad.is_empty(), "arrows pointing up:\n{}", bad.join("\n"));
}

#[test]
fn the_protocol_vocabulary_imports_no_component() {
    let bad = arrows_into("protocol", &["bft", "mempool", "provisioning", "execution", "livelock", "storage"]);
    assert!(bad.is_empty(), "protocol must stay below the components:\n{}", bad.join("\n"));
}

#[test]
fn no_runtime_imports_the_simulator() {
    let bad = arrows_into("runtime", &["sim"]);
    assert!(bad.is_empty(), "the runtime builds its nodes through runtime/setup.rs, never sim:\n{}", bad.join("\n"));
}

/// The `Action` enum's variants, read from its definition.
fn action_variants() -> Vec<String> {
    let text = std::fs::read_to_string(src("protocol").join("action.rs")).expect("action.rs");
    let body = text.split("pub enum Action {").nth(1).expect("the Action enum").split("\n}").next().unwrap_or("");
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(|c: char| !c.is_alphanumeric()).next().filter(|w| !w.is_empty()))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_action_enum_is_matched_exhaustively_in_one_place() {
    let variants = action_variants();
    assert!(variants.len() >= 9, "read the Action variants: {variants:?}");
    let mut full_matches = Vec::new();
    for file in sources(&src("")) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        // Unit tests sit at the bottom of a file behind `#[cfg(test)]`; only code above it counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        // A variant is matched where a line names it and then `=>` (an arm, or one alternative of an arm).
        let arms = variants.iter().filter(|v| {
            let pat = format!("Action::{v}");
            code.lines().any(|l| l.find(&pat).is_some_and(|at| l[at..].contains("=>")))
        });
        if arms.count() == variants.len() {
            full_matches.push(file.display().to_string());
        }
    }
    assert_eq!(full_matches.len(), 1, "files matching every Action variant: {full_matches:?}");
    assert!(full_matches[0].ends_with("runtime/perform.rs"), "{full_matches:?}");
}

/// The network is the runtime's edge: it speaks types and crypto, and knows nothing of the node, the runtimes that
/// will use it, the simulator or the components' state machines.
#[test]
fn the_network_stands_on_types_and_crypto_only() {
    let forbidden = ["node", "runtime", "sim", "bft", "mempool", "provisioning", "execution", "livelock", "storage"];
    let bad = arrows_into("network", &forbidden);
    assert!(bad.is_empty(), "network imports above its floor:\n{}", bad.join("\n"));
}
