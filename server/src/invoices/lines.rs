//! Invoice lines and their VAT split: pure, so the rounding rule is tested
//! without a database.

use gascis_common::{
    Money,
    tariff::{Rate, vat_split},
};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// 天然气 as the tax classification names it (商品和服务税收分类简称).
pub const GAS_ITEM: &str = "*燃气*天然气";
pub const LATE_FEE_ITEM: &str = "*燃气*滞纳金";
pub const ARREARS_ITEM: &str = "*燃气*往期燃气费";
pub const PREPAYMENT_ITEM: &str = "预付燃气费";
/// 不征税: what the line's tax treatment is called on paper.
pub const NOT_TAXABLE: &str = "not_taxable";

/// A line before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub source: &'static str,
    pub bill_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub original_line_no: Option<i16>,
    pub item_name: String,
    pub specification: String,
    pub unit: String,
    pub quantity: Option<Decimal>,
    /// Tax-inclusive.
    pub unit_price: Option<Decimal>,
    /// Tax-inclusive.
    pub amount: Money,
    pub tax_rate: Decimal,
    pub tax_treatment: &'static str,
    pub net: Money,
    pub tax: Money,
}

/// Net and tax of a tax-inclusive amount: net = amount / (1 + rate)
/// rounded half-up (away from zero) to the fen, tax = amount − net. A
/// negative amount (red) splits as the negation of its absolute value, so
/// a reversal mirrors the original to the fen.
pub fn split(amount: Money, rate: Decimal) -> Result<(Money, Money)> {
    let rate = Rate::try_from_decimal(rate)
        .map_err(|error| Error::Internal(format!("VAT rate {rate}: {error}")))?;
    let magnitude = if amount.is_negative() {
        -amount
    } else {
        amount
    };
    let vat = vat_split(magnitude, rate)
        .map_err(|error| Error::Internal(format!("VAT split of {amount}: {error}")))?;
    if amount.is_negative() {
        Ok((-vat.net, -vat.tax))
    } else {
        Ok((vat.net, vat.tax))
    }
}

/// A taxed line with its split.
#[allow(clippy::too_many_arguments)]
pub fn taxed(
    source: &'static str,
    item_name: &str,
    specification: String,
    unit: &str,
    quantity: Option<Decimal>,
    unit_price: Option<Decimal>,
    amount: Money,
    rate: Decimal,
) -> Result<Line> {
    let (net, tax) = split(amount, rate)?;
    Ok(Line {
        source,
        bill_id: None,
        payment_id: None,
        original_line_no: None,
        item_name: item_name.to_owned(),
        specification,
        unit: unit.to_owned(),
        quantity,
        unit_price,
        amount,
        tax_rate: rate,
        tax_treatment: "",
        net,
        tax,
    })
}

/// The 预付燃气费 line: 不征税, rate 0, all of it net.
pub fn prepayment(amount: Money) -> Line {
    Line {
        source: "prepayment",
        bill_id: None,
        payment_id: None,
        original_line_no: None,
        item_name: PREPAYMENT_ITEM.to_owned(),
        specification: String::new(),
        unit: String::new(),
        quantity: None,
        unit_price: None,
        amount,
        tax_rate: Decimal::ZERO,
        tax_treatment: NOT_TAXABLE,
        net: amount,
        tax: Money::ZERO,
    }
}

/// Totals of lines: amount, net, tax; net + tax = amount by construction.
pub fn totals(lines: &[Line]) -> Result<(Money, Money, Money)> {
    let overflow = || Error::Internal("invoice total overflow".to_owned());
    let mut sums = (Money::ZERO, Money::ZERO, Money::ZERO);
    for line in lines {
        sums.0 = sums.0.checked_add(line.amount).ok_or_else(overflow)?;
        sums.1 = sums.1.checked_add(line.net).ok_or_else(overflow)?;
        sums.2 = sums.2.checked_add(line.tax).ok_or_else(overflow)?;
    }
    Ok(sums)
}

/// How the rate reads on paper: "9%", "13%", or 不征税.
pub fn rate_label(rate: Decimal, treatment: &str) -> String {
    if treatment == NOT_TAXABLE {
        return "不征税".to_owned();
    }
    let percent = (rate * Decimal::ONE_HUNDRED).normalize();
    format!("{percent}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().unwrap_or(Money::ZERO)
    }

    #[test]
    fn splits_half_up_and_mirrors_for_red() -> Result<()> {
        let nine = Decimal::new(9, 2);
        assert_eq!(split(m("313.20"), nine)?, (m("287.34"), m("25.86")));
        // 0.05 / 1.09 = 0.04587… -> 0.05; tax 0.00.
        assert_eq!(split(m("0.05"), nine)?, (m("0.05"), m("0.00")));
        // 0.55 / 1.09 = 0.5045… -> 0.50; tax 0.05.
        assert_eq!(split(m("0.55"), nine)?, (m("0.50"), m("0.05")));
        // 1000.00 / 1.09 = 917.431… -> 917.43; tax 82.57.
        assert_eq!(split(m("1000.00"), nine)?, (m("917.43"), m("82.57")));
        assert_eq!(split(m("-313.20"), nine)?, (m("-287.34"), m("-25.86")));
        Ok(())
    }

    #[test]
    fn labels() {
        assert_eq!(rate_label(Decimal::new(9, 2), ""), "9%");
        assert_eq!(rate_label(Decimal::new(900, 4), ""), "9%");
        assert_eq!(rate_label(Decimal::ZERO, NOT_TAXABLE), "不征税");
    }
}
