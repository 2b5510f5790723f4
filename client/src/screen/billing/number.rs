//! Register values and volumes as whole litres (0.001 m³), and the decimal
//! strings of the wire as people read them. No float touches a volume or
//! an amount: the hints of the reading sheet are integer arithmetic, and
//! prices and amounts are trimmed as text.

/// Litres in one m³: volumes have 3 decimals.
const LITRES_PER_M3: i128 = 1000;

/// Why a typed register value cannot be a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueProblem {
    /// Not a number like `1234` or `1234.5`.
    NotANumber,
    /// A meter register never shows a negative value.
    Negative,
    /// More than 3 decimals: volumes are kept to the litre.
    TooPrecise,
}

/// A register value typed by the user, in litres: digits with at most
/// three decimals (`1234`, `1234.5`, `.5`), nothing else.
pub fn parse_reading(text: &str) -> Result<i128, ValueProblem> {
    let text = text.trim();
    if text.starts_with('-') {
        return if parse_litres(text).is_some() {
            Err(ValueProblem::Negative)
        } else {
            Err(ValueProblem::NotANumber)
        };
    }
    let (_, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 && fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValueProblem::TooPrecise);
    }
    parse_litres(text).ok_or(ValueProblem::NotANumber)
}

/// A decimal string of the wire in litres, decimals past the third cut
/// off (a daily average comes with many). `None` when it is not a number.
pub fn parse_litres(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    // Twelve digits before the point is more than any register holds, and
    // keeps the arithmetic far from overflowing.
    if !digits_only(whole) || !digits_only(fraction) || whole.len() > 12 {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut litres = 0;
    for (index, digit) in fraction.chars().chain("000".chars()).take(3).enumerate() {
        let digit = i128::from(digit.to_digit(10)?);
        litres += digit * 10_i128.pow(2 - index as u32);
    }
    let value = whole * LITRES_PER_M3 + litres;
    Some(if negative { -value } else { value })
}

/// Litres as m³ the way people write them: `310`, `12.5`, `0.125`.
pub fn format_litres(litres: i128) -> String {
    let sign = if litres < 0 { "-" } else { "" };
    let litres = litres.unsigned_abs();
    let whole = litres / LITRES_PER_M3.unsigned_abs();
    let fraction = litres % LITRES_PER_M3.unsigned_abs();
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let fraction = format!("{fraction:03}");
        format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
    }
}

/// Litres rounded half up to `decimals` places of m³ (0 to 3).
pub fn round_litres(litres: i128, decimals: u32) -> i128 {
    let step = 10_i128.pow(3 - decimals.min(3));
    let half = step / 2;
    let rounded = (litres.abs() + half) / step * step;
    if litres < 0 { -rounded } else { rounded }
}

/// A volume of the wire without its trailing zeros: `310.000` → `310`,
/// `12.500` → `12.5`; shown as sent when it is not a number.
pub fn volume(text: &str) -> String {
    match parse_litres(text) {
        Some(litres) if is_plain_decimal(text) => format_litres(litres),
        _ => text.trim().to_owned(),
    }
}

/// A unit price to the fen at least, with its extra places only when they
/// are used: `3.0000` → `3.00`, `3.2450` → `3.245`.
pub fn price(text: &str) -> String {
    let text = text.trim();
    if !is_plain_decimal(text) {
        return text.to_owned();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut fraction = fraction.trim_end_matches('0').to_owned();
    while fraction.len() < 2 {
        fraction.push('0');
    }
    let whole = if whole.is_empty() { "0" } else { whole };
    format!("{whole}.{fraction}")
}

fn is_plain_decimal(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit())
}

/// An amount of the wire in fen (0.01 CNY); `None` when it is not a
/// number with at most two decimals.
pub fn parse_fen(text: &str) -> Option<i128> {
    let text = text.trim();
    let (_, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 2 {
        return None;
    }
    // Litres are thousandths: ten of them make a fen.
    parse_litres(text).map(|thousandths| thousandths / 10)
}

/// Fen as the wire writes amounts: `1587.00`, `-0.50`.
pub fn format_fen(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// The capacity of a register of `digits` digits, in litres; `None` when
/// the digits are unknown (0) or absurd.
pub fn register_capacity(digits: i32) -> Option<i128> {
    let digits = u32::try_from(digits)
        .ok()
        .filter(|d| (1..=12).contains(d))?;
    Some(10_i128.pow(digits) * LITRES_PER_M3)
}

/// What a value implies against the last one on a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumption {
    /// At or above the last value.
    Forward(i128),
    /// Below the last value, read as the register passing its top: the
    /// consumption it would be. The server decides whether it is one.
    Rollover(i128),
    /// Below the last value and too far for a rollover: a wrong value or a
    /// meter running backwards.
    Backwards,
}

/// The consumption from `last` to `value` on a register of `digits`
/// digits: a lower value counts as a rollover when that reads as less than
/// half the register, as the server reads it.
pub fn consumption(last: i128, value: i128, digits: i32) -> Consumption {
    if value >= last {
        return Consumption::Forward(value - last);
    }
    match register_capacity(digits) {
        Some(capacity) if capacity - last + value < capacity / 2 && value >= 0 => {
            Consumption::Rollover(capacity - last + value)
        }
        _ => Consumption::Backwards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_litres() {
        assert_eq!(parse_reading("120"), Ok(120_000));
        assert_eq!(parse_reading(" 120.5 "), Ok(120_500));
        assert_eq!(parse_reading("0.125"), Ok(125));
        assert_eq!(parse_reading(".5"), Ok(500));
        assert_eq!(parse_reading("-5"), Err(ValueProblem::Negative));
        assert_eq!(parse_reading("12.3456"), Err(ValueProblem::TooPrecise));
        for bad in ["", ".", "12a", "1,200", "一百", "1e3", "--1", "1.2.3"] {
            assert_eq!(parse_reading(bad), Err(ValueProblem::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn wire_decimals_are_cut_to_the_litre() {
        assert_eq!(parse_litres("3.8709677419354838709677419"), Some(3870));
        assert_eq!(parse_litres("-0.5"), Some(-500));
        assert_eq!(parse_litres("1234567890123"), None, "too many digits");
    }

    #[test]
    fn volumes_and_prices_read_as_people_write_them() {
        assert_eq!(volume("310.000"), "310");
        assert_eq!(volume("12.500"), "12.5");
        assert_eq!(volume("0.125"), "0.125");
        assert_eq!(volume("120"), "120");
        assert_eq!(volume("n/a"), "n/a");
        assert_eq!(price("3.0000"), "3.00");
        assert_eq!(price("3.2450"), "3.245");
        assert_eq!(price("3"), "3.00");
        assert_eq!(price(""), "");
        assert_eq!(format_litres(-1_500), "-1.5");
        assert_eq!(round_litres(29_946, 0), 30_000);
        assert_eq!(round_litres(966, 2), 970);
        assert_eq!(round_litres(-1_499, 0), -1_000);
    }

    #[test]
    fn amounts_are_fen() {
        assert_eq!(parse_fen("1587.00"), Some(158_700));
        assert_eq!(parse_fen("-0.5"), Some(-50));
        assert_eq!(parse_fen("12"), Some(1_200));
        assert_eq!(parse_fen("1.005"), None);
        assert_eq!(format_fen(158_700 + 29_700), "1884.00");
        assert_eq!(format_fen(-50), "-0.50");
    }

    #[test]
    fn a_lower_value_is_a_rollover_only_near_the_top() {
        assert_eq!(
            consumption(100_000, 160_500, 5),
            Consumption::Forward(60_500)
        );
        // 99 990 → 20 on five digits: 30 m³ across the top.
        assert_eq!(
            consumption(99_990_000, 20_000, 5),
            Consumption::Rollover(30_000)
        );
        assert_eq!(consumption(400_000, 100_000, 5), Consumption::Backwards);
        assert_eq!(
            consumption(99_990_000, 20_000, 0),
            Consumption::Backwards,
            "no digits, no rollover"
        );
    }
}
