//! `hsbench devices`: the GPU adapters wgpu finds, as a table (or JSON).

use anyhow::Context;

/// Probes the adapters and prints them as a table, or as JSON when `json`.
pub fn print(json: bool) -> anyhow::Result<()> {
    let adapters = hsbench_kernels::probe_adapters();
    if json {
        println!("{}", serde_json::to_string_pretty(&adapters).context("cannot encode adapter reports")?);
        return Ok(());
    }
    if adapters.is_empty() {
        println!("no GPU adapters found (WGPU_BACKEND selects backends; lavapipe needs mesa-vulkan-drivers)");
        return Ok(());
    }
    println!(
        "{:>2}  {:<36} {:<8} {:<13} {:<40} {:>5} {:>9} {:>8} {:>12}",
        "#", "name", "backend", "type", "driver", "int64", "timestamp", "subgroup", "max_binding"
    );
    for (i, a) in adapters.iter().enumerate() {
        let driver = if a.driver_info.is_empty() { &a.driver } else { &a.driver_info };
        println!(
            "{:>2}  {:<36} {:<8} {:<13} {:<40} {:>5} {:>9} {:>8} {:>12}",
            i,
            truncate(&a.name, 36),
            a.backend,
            a.device_type,
            truncate(driver, 40),
            yes_no(a.shader_int64),
            yes_no(a.timestamp_query),
            yes_no(a.subgroup),
            a.max_storage_buffer_binding_size,
        );
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
