//! Number formatting shared by `report`, `plan` and `compare`: thousands separators, so that a table reads
//! "14,000 tx/s" rather than "14000.000".

/// `x` rounded to an integer with thousands separators (`14,115`); `—` for a non-finite value.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 { format!("-{out}") } else { out }
}

/// Milliseconds from microseconds, one decimal (`486.9`).
pub fn ms(us: f64) -> String {
    format!("{:.1}", us / 1e3)
}

/// A fraction as a percentage with one decimal (`0.0047` → `0.5 %`).
pub fn pct(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// A compact axis label: `1.5M`, `40k`, `950`.
pub fn short(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(x / 1e3))
    } else {
        trim(x)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(14_114.86), "14,115");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(-1_234_567.0), "-1,234,567");
        assert_eq!(thousands(f64::NAN), "—");
        assert_eq!(ms(486_911.0), "486.9");
        assert_eq!(pct(0.00467), "0.5 %");
        assert_eq!(
            (short(1_500_000.0), short(40_000.0), short(950.0), short(2_500.0)),
            ("1.5M".into(), "40k".into(), "950".into(), "2.5k".into())
        );
    }
}
