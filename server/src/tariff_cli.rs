//! `gascis-server tariff quote`: prices a consumption with a preset tariff, using only the pure
//! engine of `gascis_common::tariff` (no database, no data dir).

use std::{fmt::Write as _, process::ExitCode};

use chrono::NaiveDate;
use gascis_common::tariff::{
    self, AccountAttributes, Consumption, CustomerType, LineKind, Quote, Tariff, Volume,
};

#[derive(clap::Subcommand)]
pub enum TariffCommand {
    /// Price a consumption with a preset tariff (no database needed).
    Quote(QuoteArgs),
    /// Re-price past bills with a tariff file and report the revenue change
    /// and the spread of household impact (nothing is written).
    WhatIf(crate::billing_cli::WhatIfArgs),
}

#[derive(clap::Args)]
pub struct QuoteArgs {
    /// Preset: beijing-2019, shanghai-2014, shenzhen-2021 or chongqing-2021.
    #[arg(long)]
    preset: String,
    /// Volume in m³, at most 3 decimals (e.g. 351 or 12.345).
    #[arg(long, value_name = "M3")]
    volume: String,
    /// People in the household (for household uplifts).
    #[arg(long, default_value_t = 1)]
    household_size: u32,
    /// Day of the consumption, YYYY-MM-DD (default: today); the period is that one day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Gas-use purpose: cooking, heating, rural_coal_to_gas, …
    #[arg(long, default_value = "cooking")]
    purpose: String,
    /// Volume already consumed in the tier cycle before this one, m³.
    #[arg(long, value_name = "M3", default_value = "0")]
    cycle_to_date: String,
    /// residential, commercial, industrial or public_welfare.
    #[arg(long, default_value = "residential")]
    customer_type: String,
    /// A low-income (低保) household.
    #[arg(long)]
    low_income: bool,
    /// A flat class of the tariff (e.g. school).
    #[arg(long, value_name = "CODE")]
    flat_class: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(command: TariffCommand) -> anyhow::Result<ExitCode> {
    match command {
        TariffCommand::WhatIf(args) => crate::billing_cli::what_if(args),
        TariffCommand::Quote(args) => {
            let (tariff, quote) = price(&args, chrono::Local::now().date_naive())?;
            if args.json {
                println!("{}", render_json(&quote));
            } else {
                print!("{}", render_text(&tariff, &quote));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn volume_arg(name: &str, text: &str) -> anyhow::Result<Volume> {
    text.parse::<Volume>()
        .map_err(|error| anyhow::anyhow!("--{name}: {error}"))
}

/// Parses the arguments and prices the consumption; `today` is the default date.
fn price(args: &QuoteArgs, today: NaiveDate) -> anyhow::Result<(Tariff, Quote)> {
    let tariff = tariff::preset(&args.preset)?;
    let volume = volume_arg("volume", &args.volume)?;
    let cycle_to_date = volume_arg("cycle-to-date", &args.cycle_to_date)?;
    let date = match &args.date {
        Some(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--date: '{text}' is not a date written YYYY-MM-DD"))?,
        None => today,
    };
    let customer_type: CustomerType = args
        .customer_type
        .parse()
        .map_err(|error: String| anyhow::anyhow!("--customer-type: {error}"))?;
    let account = AccountAttributes {
        customer_type,
        purpose: args.purpose.trim().to_owned(),
        household_size: args.household_size,
        low_income: args.low_income,
        flat_class: args.flat_class.clone(),
    };
    let quote = tariff::quote(
        &tariff,
        &account,
        &Consumption {
            volume,
            from: date,
            to: date,
            cycle_to_date,
        },
    )
    .map_err(|error| {
        // The preset's notes often say why a price is missing.
        if tariff.notes.is_empty() {
            anyhow::anyhow!("{error}")
        } else {
            anyhow::anyhow!(
                "{error}; notes of {}: {}",
                tariff.code,
                tariff.notes.join(" ")
            )
        }
    })?;
    Ok((tariff, quote))
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

/// The lines as a table, the total with its VAT split, and the tariff's notes.
fn render_text(tariff: &Tariff, quote: &Quote) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", tariff.code, tariff.name);
    let _ = writeln!(
        out,
        "{:<20} {:>4} {:<8} {:>12} {:>10} {:>12} version",
        "line", "tier", "season", "volume m³", "price", "amount"
    );
    for line in &quote.lines {
        let label = match (&line.kind, &line.name) {
            (LineKind::Tier, _) | (_, None) => line.kind.as_str().to_owned(),
            (_, Some(name)) => format!("{} {name}", line.kind.as_str()),
        };
        let _ = writeln!(
            out,
            "{:<20} {:>4} {:<8} {:>12} {:>10} {:>12} {}",
            label,
            or_dash(line.tier.map(|t| t.to_string())),
            or_dash(line.season.clone()),
            // Volume and Money print their digits only; pad their text.
            line.volume.to_string(),
            or_dash(line.unit_price.map(|p| p.to_string())),
            line.amount.to_string(),
            line.version_effective_from
        );
    }
    let _ = writeln!(
        out,
        "total {}  (net {}, VAT {} at {})",
        quote.total, quote.vat.net, quote.vat.tax, quote.vat.rate
    );
    if let Some(after) = quote.cycle_to_date_after {
        let _ = writeln!(out, "cycle to date after: {after} m³");
    }
    if !quote.notes.is_empty() {
        let _ = writeln!(out, "notes:");
        for note in &quote.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

/// One JSON object: `tariff`, `lines` (decimals as strings), `total`, `net`, `tax`, `vat_rate`,
/// `cycle_to_date_after`, `notes`.
fn render_json(quote: &Quote) -> String {
    let text = |value: &dyn ToString| serde_json::Value::String(value.to_string());
    let lines: Vec<serde_json::Value> = quote
        .lines
        .iter()
        .map(|line| {
            serde_json::json!({
                "kind": line.kind.as_str(),
                "tier": line.tier,
                "season": line.season,
                "name": line.name,
                "volume": text(&line.volume),
                "unit_price": line.unit_price.map(|p| p.to_string()),
                "amount": text(&line.amount),
                "version": text(&line.version_effective_from),
                "from": text(&line.from),
                "to": text(&line.to),
                "days": line.days,
            })
        })
        .collect();
    serde_json::json!({
        "tariff": quote.tariff_code,
        "lines": lines,
        "total": text(&quote.total),
        "net": text(&quote.vat.net),
        "tax": text(&quote.vat.tax),
        "vat_rate": text(&quote.vat.rate),
        "cycle_to_date_after": quote.cycle_to_date_after.map(|v| v.to_string()),
        "notes": quote.notes,
    })
    .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn args(preset: &str, volume: &str) -> QuoteArgs {
        QuoteArgs {
            preset: preset.into(),
            volume: volume.into(),
            household_size: 3,
            date: Some("2024-05-10".into()),
            purpose: "cooking".into(),
            cycle_to_date: "0".into(),
            customer_type: "residential".into(),
            low_income: false,
            flat_class: None,
            json: false,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 5, 10).unwrap()
    }

    #[test]
    fn text_shows_lines_total_and_notes() {
        let (tariff, quote) = price(&args("beijing-2019", "351"), today()).unwrap();
        let text = render_text(&tariff, &quote);
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows[1],
            [
                "line", "tier", "season", "volume", "m³", "price", "amount", "version"
            ]
        );
        assert_eq!(
            rows[2],
            ["tier", "1", "-", "350.000", "2.61", "913.50", "2019-01-01"]
        );
        assert_eq!(
            rows[3],
            ["tier", "2", "-", "1.000", "2.83", "2.83", "2019-01-01"]
        );
        // The columns line up: amounts end in the same column.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2].find("913.50").map(|i| i + 6),
            lines[3].find(" 2.83 2019").map(|i| i + 5)
        );
        // 916.33 / 1.09 = 840.6697… -> 840.67, VAT 75.66.
        assert!(
            text.contains("total 916.33  (net 840.67, VAT 75.66 at 0.09)"),
            "{text}"
        );
        assert!(
            text.contains("notes:\n  - Effective date not in DOMAIN.md"),
            "{text}"
        );
    }

    #[test]
    fn json_has_string_decimals() {
        let mut shenzhen = args("shenzhen-2021", "40");
        shenzhen.date = Some("2024-06-15".into());
        let (_, quote) = price(&shenzhen, today()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&render_json(&quote)).unwrap();
        assert_eq!(json["tariff"], "shenzhen-2021");
        let first = &json["lines"][0];
        assert_eq!(
            (
                &first["kind"],
                &first["tier"],
                &first["season"],
                &first["volume"],
                &first["unit_price"],
                &first["amount"]
            ),
            (
                &"tier".into(),
                &1.into(),
                &"summer".into(),
                &"30.000".into(),
                &"3.50".into(),
                &"105.00".into()
            )
        );
        // 105.00 + 20.00 + 26.25 = 151.25; 151.25 / 1.09 = 138.761… -> 138.76, VAT 12.49.
        assert_eq!(
            [
                &json["total"],
                &json["net"],
                &json["tax"],
                &json["vat_rate"]
            ],
            ["151.25", "138.76", "12.49", "0.09"]
        );
        assert!(
            json["notes"][0]
                .as_str()
                .is_some_and(|n| n.starts_with("Effective date not in DOMAIN.md")),
            "{json}"
        );
    }

    #[test]
    fn options_reach_the_engine() {
        // Shanghai, 5 people: boundary 460; 500 m³ = 460 × 3.00 + 40 × 3.30 = 1512.00.
        let mut shanghai = args("shanghai-2014", "500");
        shanghai.household_size = 5;
        assert_eq!(
            price(&shanghai, today()).unwrap().1.total.to_string(),
            "1512.00"
        );
        // Beijing heating from 1490: 10 × 2.61 + 10 × 2.83 = 54.40.
        let mut heating = args("beijing-2019", "20");
        heating.purpose = "heating".into();
        heating.cycle_to_date = "1490".into();
        assert_eq!(
            price(&heating, today()).unwrap().1.total.to_string(),
            "54.40"
        );
        // Shenzhen commercial: 10 × 4.39 = 43.90; a school 10 × 3.70 = 37.00.
        let mut business = args("shenzhen-2021", "10");
        business.customer_type = "commercial".into();
        assert_eq!(
            price(&business, today()).unwrap().1.total.to_string(),
            "43.90"
        );
        let mut school = args("shenzhen-2021", "10");
        school.flat_class = Some("school".into());
        assert_eq!(
            price(&school, today()).unwrap().1.total.to_string(),
            "37.00"
        );
        // The default date is today.
        let mut undated = args("beijing-2019", "1");
        undated.date = None;
        let (_, quote) = price(&undated, today()).unwrap();
        assert_eq!(quote.lines[0].from, today());
        // Low-income flag is passed (Beijing does not pin, so 351 m³ still reaches tier 2).
        let mut low_income = args("beijing-2019", "351");
        low_income.low_income = true;
        assert_eq!(
            price(&low_income, today()).unwrap().1.total.to_string(),
            "916.33"
        );
    }

    #[test]
    fn bad_input_is_named() {
        let error = |args: QuoteArgs| price(&args, today()).unwrap_err().to_string();
        assert_eq!(
            error(args("paris-2020", "1")),
            "unknown tariff preset 'paris-2020' (presets: beijing-2019, shanghai-2014, shenzhen-2021, chongqing-2021)"
        );
        assert_eq!(
            error(args("beijing-2019", "1.0001")),
            "--volume: '1.0001' has more than 3 decimal places (a volume is kept to 3)"
        );
        assert_eq!(
            error(args("beijing-2019", "-5")),
            "--volume: volume '-5' must not be negative"
        );
        assert_eq!(
            error(args("beijing-2019", "lots")),
            "--volume: 'lots' is not a decimal number"
        );
        let mut bad_date = args("beijing-2019", "1");
        bad_date.date = Some("10/05/2024".into());
        assert_eq!(
            error(bad_date),
            "--date: '10/05/2024' is not a date written YYYY-MM-DD"
        );
        let mut bad_type = args("beijing-2019", "1");
        bad_type.customer_type = "household".into();
        assert!(error(bad_type).starts_with("--customer-type: unknown customer type 'household'"));
        let mut early = args("shanghai-2014", "1");
        early.date = Some("2014-08-31".into());
        assert!(error(early).starts_with(
            "tariff 'shanghai-2014' has no version in force on 2014-08-31 (its first takes effect on 2014-09-01); notes of shanghai-2014: Cycle start month"
        ));
        let mut business = args("chongqing-2021", "1");
        business.customer_type = "commercial".into();
        let message = error(business);
        assert!(
            message.contains("no price for customer type commercial (priced types: none)")
                && message.contains("No non-residential price"),
            "{message}"
        );
    }
}
