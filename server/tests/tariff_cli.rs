//! `gascis-server tariff quote` as IT runs it: the real binary, no data dir, no database.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gascis-server");

fn run(args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("GASCIS_DATA_DIR")
        .output()?)
}

#[test]
fn quote_prints_lines_total_and_notes() -> anyhow::Result<()> {
    let output = run(&[
        "tariff",
        "quote",
        "--preset",
        "beijing-2019",
        "--volume",
        "351",
        "--date",
        "2024-05-10",
    ])?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    // 350 × 2.61 = 913.50 in tier 1, the 351st m³ in tier 2 at 2.83.
    assert!(text.contains("913.50") && text.contains("2.83"), "{text}");
    assert!(text.contains("total 916.33"), "{text}");
    assert!(text.contains("notes:"), "{text}");
    Ok(())
}

#[test]
fn quote_as_json() -> anyhow::Result<()> {
    let output = run(&[
        "tariff",
        "quote",
        "--preset",
        "chongqing-2021",
        "--volume",
        "100",
        "--date",
        "2024-01-15",
        "--low-income",
        "--json",
    ])?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    // 100 × 2.13 (peak) = 213.00; 213.00 / 1.09 = 195.412… -> 195.41, VAT 17.59.
    let json: serde_json::Value = serde_json::from_str(&text)?;
    assert_eq!(json["tariff"], "chongqing-2021");
    assert_eq!(json["lines"][0]["season"], "peak");
    assert_eq!(json["lines"][0]["unit_price"], "2.13");
    assert_eq!(
        [&json["total"], &json["net"], &json["tax"]],
        ["213.00", "195.41", "17.59"]
    );
    assert!(text.contains("everything is billed at tier 1"), "{text}");
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "one JSON object: {text}"
    );
    Ok(())
}

#[test]
fn bad_input_fails_with_a_clear_error() -> anyhow::Result<()> {
    let output = run(&["tariff", "quote", "--preset", "paris-2020", "--volume", "1"])?;
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("error: unknown tariff preset 'paris-2020' (presets: beijing-2019"),
        "{error}"
    );
    let output = run(&[
        "tariff",
        "quote",
        "--preset",
        "beijing-2019",
        "--volume",
        "1.5.2",
    ])?;
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("--volume: '1.5.2' is not a decimal number"),
        "{error}"
    );
    Ok(())
}
