//! Input of `hsbench verify`: JSON Lines items, or a Wycheproof / ed25519-speccheck vector file read as it is.
//!
//! A JSON Lines item is `{"scheme":"ed25519"|"bls","pk":HEX,"msg":HEX,"sig":HEX,"dst":STRING?}`; blank lines
//! are skipped (they get no index). A line that does not parse becomes an error entry and the rest go on.

use serde::Deserialize;

/// Signature scheme of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Ed25519 under the engine's `ED25519_RULE`.
    Ed25519,
    /// BLS12-381 min-pk.
    Bls,
}

/// One signature to verify (bytes as given; lengths are checked at verification, where a wrong length is
/// simply an invalid signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyItem {
    /// The scheme.
    pub scheme: Scheme,
    /// Public key bytes.
    pub pk: Vec<u8>,
    /// Message bytes.
    pub msg: Vec<u8>,
    /// Signature bytes.
    pub sig: Vec<u8>,
    /// BLS domain separation tag, when given (default: the POP ciphersuite's signature DST).
    pub dst: Option<String>,
    /// The vector file's expected verdict (Wycheproof `valid`/`invalid`; `None` otherwise).
    pub expected: Option<bool>,
}

/// What kind of file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// One JSON item per line.
    JsonLines,
    /// A Wycheproof test file (`testGroups`).
    Wycheproof,
    /// The ed25519-speccheck cases (a JSON array of `{message, pub_key, signature}`).
    Speccheck,
}

/// The parsed input: one entry per item, in order; `Err` holds why an entry could not be used.
#[derive(Clone, Debug)]
pub struct Input {
    /// The detected format.
    pub format: InputFormat,
    /// Items (or errors) in input order.
    pub items: Vec<Result<VerifyItem, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    scheme: Scheme,
    pk: String,
    msg: String,
    sig: String,
    #[serde(default)]
    dst: Option<String>,
}

fn unhex(field: &str, value: &str) -> Result<Vec<u8>, String> {
    hex::decode(value).map_err(|e| format!("{field}: not hex ({e})"))
}

fn line_item(line: &str) -> Result<VerifyItem, String> {
    let l: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Ok(VerifyItem {
        scheme: l.scheme,
        pk: unhex("pk", &l.pk)?,
        msg: unhex("msg", &l.msg)?,
        sig: unhex("sig", &l.sig)?,
        dst: l.dst,
        expected: None,
    })
}

/// Parses `text`: a whole-file JSON document with `testGroups` is Wycheproof, a JSON array is speccheck,
/// anything else is JSON Lines.
pub fn parse(text: &str) -> Input {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(doc @ serde_json::Value::Object(_)) if doc.get("testGroups").is_some() => {
            Input { format: InputFormat::Wycheproof, items: wycheproof(&doc) }
        }
        Ok(serde_json::Value::Array(cases)) => Input { format: InputFormat::Speccheck, items: speccheck(&cases) },
        _ => Input {
            format: InputFormat::JsonLines,
            items: text.lines().filter(|l| !l.trim().is_empty()).map(line_item).collect(),
        },
    }
}

fn str_field<'a>(v: &'a serde_json::Value, path: &[&str]) -> Result<&'a str, String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key).ok_or_else(|| format!("missing field {}", path.join(".")))?;
    }
    cur.as_str().ok_or_else(|| format!("field {} is not a string", path.join(".")))
}

fn wycheproof(doc: &serde_json::Value) -> Vec<Result<VerifyItem, String>> {
    let mut out = Vec::new();
    let groups = doc.get("testGroups").and_then(|g| g.as_array()).map(Vec::as_slice).unwrap_or_default();
    for group in groups {
        let kind = group.get("type").and_then(|t| t.as_str()).unwrap_or("?");
        let tests = group.get("tests").and_then(|t| t.as_array()).map(Vec::as_slice).unwrap_or_default();
        for test in tests {
            out.push(wycheproof_test(group, kind, test));
        }
    }
    out
}

fn wycheproof_test(group: &serde_json::Value, kind: &str, test: &serde_json::Value) -> Result<VerifyItem, String> {
    let (scheme, dst) = match kind {
        "EddsaVerify" => (Scheme::Ed25519, None),
        "BlsSigVerify" => (Scheme::Bls, Some(str_field(group, &["ciphersuite"])?.to_string())),
        other => {
            return Err(format!(
                "Wycheproof test type {other:?} is not a single-signature verification (supported: EddsaVerify, BlsSigVerify)"
            ));
        }
    };
    let expected = match str_field(test, &["result"])? {
        "valid" => Some(true),
        "invalid" => Some(false),
        _ => None,
    };
    Ok(VerifyItem {
        scheme,
        pk: unhex("publicKey.pk", str_field(group, &["publicKey", "pk"])?)?,
        msg: unhex("msg", str_field(test, &["msg"])?)?,
        sig: unhex("sig", str_field(test, &["sig"])?)?,
        dst,
        expected,
    })
}

fn speccheck(cases: &[serde_json::Value]) -> Vec<Result<VerifyItem, String>> {
    cases
        .iter()
        .map(|c| {
            Ok(VerifyItem {
                scheme: Scheme::Ed25519,
                pk: unhex("pub_key", str_field(c, &["pub_key"])?)?,
                msg: unhex("message", str_field(c, &["message"])?)?,
                sig: unhex("signature", str_field(c, &["signature"])?)?,
                dst: None,
                expected: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_a_bad_line() {
        let text = "{\"scheme\":\"ed25519\",\"pk\":\"00\",\"msg\":\"\",\"sig\":\"01\"}\n\n\
                    {\"scheme\":\"rsa\",\"pk\":\"00\",\"msg\":\"\",\"sig\":\"01\"}\n\
                    {\"scheme\":\"bls\",\"pk\":\"zz\",\"msg\":\"\",\"sig\":\"01\"}\n\
                    {\"scheme\":\"bls\",\"pk\":\"ab\",\"msg\":\"\",\"sig\":\"01\",\"dst\":\"X\"}\n";
        let input = parse(text);
        assert_eq!(input.format, InputFormat::JsonLines);
        assert_eq!(input.items.len(), 4);
        assert_eq!(input.items[0].as_ref().unwrap().scheme, Scheme::Ed25519);
        assert!(input.items[1].as_ref().unwrap_err().contains("unknown variant"));
        assert!(input.items[2].as_ref().unwrap_err().starts_with("pk: not hex"));
        assert_eq!(input.items[3].as_ref().unwrap().dst.as_deref(), Some("X"));
    }

    #[test]
    fn vector_files_are_recognised() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../engine/tests/vectors/");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).unwrap();
        let w = parse(&read("wycheproof_ed25519_test.json"));
        assert_eq!((w.format, w.items.len()), (InputFormat::Wycheproof, 151));
        assert!(w.items.iter().all(|i| i.as_ref().is_ok_and(|i| i.expected.is_some())));
        let s = parse(&read("speccheck_ed25519_cases.json"));
        assert_eq!((s.format, s.items.len()), (InputFormat::Speccheck, 12));
        let agg = parse(&read("wycheproof_bls_sig_g2_aggregate_verify_test.json"));
        assert!(agg.items.iter().all(|i| i.is_err()));
    }
}
