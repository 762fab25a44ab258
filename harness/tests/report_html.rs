//! The HTML report in a real browser: `hsbench report` of the published results (results/2026-12-05-…), rendered
//! by headless Chromium to a PNG (not blank) with no console message, and measured on a phone-sized screen
//! (every figure drawn with a non-zero size, no wider than the screen, the page not scrolling sideways).
//! Skips (printing why) without Chromium outside CI; fails under `CI=true`. Each Chromium run is bounded.

mod common;

use common::external::{Group, repo_root, require};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The published set whose report is rendered, and its runs in the order its report.md shows them.
const PUBLISHED: &str = "results/2026-12-05-avx512ifma-2core";
const RUNS: [&str; 7] = [
    "ceiling-16v",
    "ceiling-4v-50ms",
    "ceiling-4v-admission",
    "ceiling-4v",
    "ceiling-64v",
    "plan-100000",
    "plan-1000000",
];

/// One Chromium run's time limit: a cold start on a loaded 2-core machine takes a few seconds.
const CHROMIUM_LIMIT: Duration = Duration::from_secs(60);

/// Marker the measuring script logs, proving console output is captured at all.
const PROBE: &str = "hsbench-console-probe";

fn chromium(exe: &Path, profile: &Path, window: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--allow-file-access-from-files",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={window}"))
    .args(args);
    Group::spawn(&mut cmd).wait(CHROMIUM_LIMIT)
}

/// Console lines of a Chromium log (`...:CONSOLE(12)] "message", source: ...`, and uncaught errors).
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource"))
        .map(str::to_string)
        .collect()
}

fn build_report(out: &Path) -> PathBuf {
    let root = repo_root();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hsbench"));
    cmd.arg("report");
    for run in RUNS {
        cmd.arg(root.join(PUBLISHED).join(run));
    }
    let run = cmd.arg("--out").arg(out).output().expect("hsbench runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out.join("index.html")
}

/// (distinct colours, fraction of pixels that are not the background white) of an 8-bit RGB(A) PNG.
fn png_content(path: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "unexpected screenshot format");
    assert!(channels >= 3, "unexpected screenshot colour type {:?}", info.color_type);
    let mut colours = std::collections::HashSet::new();
    let mut ink = 0usize;
    let pixels = &buf[..info.buffer_size()];
    for px in pixels.chunks_exact(channels) {
        let rgb = (px[0], px[1], px[2]);
        colours.insert(rgb);
        if rgb.0 < 240 || rgb.1 < 240 || rgb.2 < 240 {
            ink += 1;
        }
    }
    (colours.len(), ink as f64 / (pixels.len() / channels) as f64)
}

#[test]
fn published_report_renders_in_headless_chromium() {
    let Some(exe) = require("chromium", "the HTML report's browser test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = build_report(&dir.path().join("report"));
    let html = std::fs::read_to_string(&index).unwrap();
    // Self-contained: no scripts, no stylesheets or images fetched from anywhere, figures inline.
    let outside_svg_ns = html.replace("http://www.w3.org/2000/svg", "");
    for banned in ["<script", "<link", "<img", "http://", "https://", "@import"] {
        assert!(!outside_svg_ns.contains(banned), "index.html contains {banned:?}");
    }
    let svg_files = std::fs::read_dir(index.parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "svg"))
        .count();
    assert!(svg_files >= 5, "only {svg_files} figures");
    assert_eq!(html.matches("<figure>").count(), svg_files, "every figure is inlined once");
    assert!(html.matches("<title>").count() > svg_files * 3, "figures carry hover titles");

    // 1. The page as a reader sees it: a screenshot that is not blank, and not one console message.
    let png = dir.path().join("screenshot.png");
    let url = format!("file://{}", index.display());
    let shot =
        chromium(&exe, &dir.path().join("profile-1"), "1280,2400", &[&format!("--screenshot={}", png.display()), &url]);
    assert!(shot.status.success(), "chromium failed: {}", String::from_utf8_lossy(&shot.stderr));
    assert_eq!(console_lines(&shot.stderr), Vec::<String>::new(), "console messages while loading index.html");
    let (colours, ink) = png_content(&png);
    assert!(colours >= 32, "screenshot has only {colours} colours: blank?");
    assert!(ink > 0.02, "only {:.2} % of the screenshot is not white: blank?", ink * 100.0);

    // 2. The same page on a phone-sized screen, measured by a script added to a copy of it (the published page
    //    has none). The script also logs a probe line, which proves the console check above can see messages.
    let measure = format!(
        "<script>window.addEventListener('load', () => {{\
           const sizes = [...document.querySelectorAll('figure svg')].map(s => {{\
             const r = s.getBoundingClientRect(); return Math.round(r.width) + 'x' + Math.round(r.height); }});\
           const out = document.createElement('pre'); out.id = 'measured';\
           out.textContent = JSON.stringify({{sizes, viewport: window.innerWidth,\
             scroll: document.documentElement.scrollWidth}});\
           document.body.appendChild(out); console.log('{PROBE}'); }});</script></body>"
    );
    let probe_page = index.with_file_name("measure.html");
    std::fs::write(&probe_page, html.replace("</body>", &measure)).unwrap();
    let url = format!("file://{}", probe_page.display());
    let dom =
        chromium(&exe, &dir.path().join("profile-2"), "390,844", &["--virtual-time-budget=5000", "--dump-dom", &url]);
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    let console = console_lines(&dom.stderr);
    assert!(console.iter().any(|l| l.contains(PROBE)), "the console probe was not seen: {console:?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let start = dom.find("<pre id=\"measured\">").expect("the measuring script ran") + "<pre id=\"measured\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let measured: serde_json::Value = serde_json::from_str(&dom[start..end].replace("&quot;", "\"")).unwrap();
    let viewport = measured["viewport"].as_f64().unwrap();
    let sizes: Vec<(f64, f64)> = measured["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (w, h) = s.as_str().unwrap().split_once('x').unwrap();
            (w.parse().unwrap(), h.parse().unwrap())
        })
        .collect();
    assert_eq!(sizes.len(), svg_files, "{measured}");
    for (w, h) in &sizes {
        assert!(*w > 100.0 && *h > 50.0, "a figure drawn at {w}×{h}: {measured}");
        assert!(*w <= viewport, "a figure wider than the {viewport} px screen: {measured}");
    }
    assert!(measured["scroll"].as_f64().unwrap() <= viewport, "the page scrolls sideways on a phone: {measured}");
}
