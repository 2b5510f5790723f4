//! Cleaning of values typed into legacy Excel ledgers: full-width
//! characters, dates in the forms Chinese offices write them, numbers
//! stored as text, identity numbers that Excel turned into floats, and
//! enumerations by their Chinese labels. Pure functions; each refusal says
//! what was wrong in words a back-office clerk understands.

use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CleanError {
    #[error("'{0}' is not a date (use 2023-01-05, 2023/1/5, 2023年1月5日 or 20230105)")]
    Date(String),
    #[error("'{0}' is not a number")]
    Number(String),
    #[error("'{value}' has more than {places} decimal places")]
    Precision { value: String, places: u32 },
    #[error(
        "'{0}' was stored by Excel as a number and has lost its last digits; format the column as text and type the numbers again"
    )]
    IdAsNumber(String),
    #[error("'{value}' is not one of {allowed}")]
    Enumeration { value: String, allowed: String },
}

/// Full-width ASCII (Ａ１２，) and the ideographic space become their
/// half-width forms; surrounding white space is trimmed.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A date from an Excel serial number (1900 date system).
pub fn date_from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Excel counts 1900-02-29, which never existed; from serial 61 on the
    // epoch 1899-12-30 absorbs that error.
    let days = serial.floor() as i64;
    let epoch = if days < 60 {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    epoch.checked_add_signed(chrono::Duration::days(days))
}

/// A date written as text in any of the common forms.
pub fn parse_date(text: &str) -> Result<NaiveDate, CleanError> {
    let cleaned = half_width(text);
    let error = || CleanError::Date(text.trim().to_owned());
    if cleaned.len() == 8 && cleaned.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&cleaned, "%Y%m%d").map_err(|_| error());
    }
    // 2023年1月5日, 2023.1.5, 2023/1/5, 2023-01-05: split on any non-digit.
    let parts: Vec<&str> = cleaned
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(error());
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        parts[0].parse::<i32>(),
        parts[1].parse::<u32>(),
        parts[2].parse::<u32>(),
    ) else {
        return Err(error());
    };
    // Only separators may surround the parts; "2023-1-5x" is not a date.
    let trailing = cleaned.trim_end_matches(['日', '号']);
    if !trailing.ends_with(|c: char| c.is_ascii_digit()) {
        return Err(error());
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(error)
}

/// A decimal from text such as "1,234.50", "¥12.5", "１２３" or "-8".
pub fn parse_decimal(text: &str, places: u32) -> Result<Decimal, CleanError> {
    let cleaned: String = half_width(text)
        .chars()
        .filter(|c| !matches!(c, ',' | '¥' | '￥' | ' ' | '元'))
        .collect();
    let value = Decimal::from_str_exact(&cleaned)
        .map_err(|_| CleanError::Number(text.trim().to_owned()))?;
    if value.normalize().scale() > places {
        return Err(CleanError::Precision {
            value: text.trim().to_owned(),
            places,
        });
    }
    Ok(value)
}

/// A decimal from an Excel number cell. Excel keeps numbers as binary
/// doubles; the shortest text that reads back to the same double is what
/// the user typed and saw, so that text — never the double — becomes the
/// exact decimal.
pub fn decimal_from_excel_number(value: f64, places: u32) -> Result<Decimal, CleanError> {
    if !value.is_finite() {
        return Err(CleanError::Number(value.to_string()));
    }
    parse_decimal(&format!("{value}"), places)
}

/// An identity number from a text cell. Scientific notation means Excel
/// converted it to a number at some point and dropped digits.
pub fn id_number_text(text: &str) -> Result<String, CleanError> {
    let cleaned = half_width(text).replace(' ', "");
    let upper = cleaned.to_uppercase();
    if upper.contains("E+")
        && upper
            .replace(['.', 'E', '+'], "")
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return Err(CleanError::IdAsNumber(text.trim().to_owned()));
    }
    Ok(upper)
}

/// An identity number found in an Excel number cell: always refused,
/// because a double holds at most 15-16 significant digits.
pub fn id_number_from_excel_number(value: f64) -> CleanError {
    CleanError::IdAsNumber(excel_general(value))
}

/// A number as Excel's General format shows it: more than 11 digits in
/// scientific notation with 6 significant digits (1.10105E+17).
pub fn excel_general(value: f64) -> String {
    if value.abs() < 1e11 {
        return format!("{value}");
    }
    let text = format!("{value:.5E}");
    let (mantissa, exponent) = text.split_once('E').unwrap_or((&text, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exponent: i32 = exponent.parse().unwrap_or(0);
    format!(
        "{mantissa}E{}{:02}",
        if exponent < 0 { "-" } else { "+" },
        exponent.abs()
    )
}

/// Customer type by its Chinese or English label.
pub fn customer_type(text: &str) -> Result<&'static str, CleanError> {
    enumeration(
        text,
        &[
            (
                &["居民", "民用", "居民用户", "住宅", "residential"],
                "residential",
            ),
            (&["商业", "商业用户", "商户", "commercial"], "commercial"),
            (&["工业", "工业用户", "industrial"], "industrial"),
            (
                &[
                    "公福",
                    "公服",
                    "公益",
                    "学校",
                    "养老院",
                    "public_welfare",
                    "public welfare",
                ],
                "public_welfare",
            ),
        ],
        "居民/商业/工业/公福",
    )
}

/// Meter type by its Chinese or English label.
pub fn meter_type(text: &str) -> Result<&'static str, CleanError> {
    enumeration(
        text,
        &[
            (
                &["机械表", "机械", "普通表", "膜式表", "mechanical"],
                "mechanical",
            ),
            (
                &["ic卡表", "ic卡", "卡表", "预付费表", "ic_card", "ic card"],
                "ic_card",
            ),
            (
                &[
                    "物联网表",
                    "物联网",
                    "nb表",
                    "nb-iot表",
                    "远传表",
                    "智能表",
                    "iot",
                ],
                "iot",
            ),
        ],
        "机械表/IC卡表/物联网表",
    )
}

/// Payment channel of a legacy payments ledger by its Chinese or English
/// label: the counter's channels, plus `other` for what the old system
/// recorded as 其他 (cheques, vouchers, …) — history keeps what it cannot
/// map rather than guessing a channel.
pub fn payment_channel(text: &str) -> Result<&'static str, CleanError> {
    enumeration(
        text,
        &[
            (&["现金", "cash"], "cash"),
            (
                &["银行卡", "刷卡", "pos", "pos机", "bank card", "bank_card"],
                "bank_card",
            ),
            (&["微信", "微信支付", "wechat"], "wechat"),
            (&["支付宝", "alipay"], "alipay"),
            (
                &[
                    "银行代收",
                    "代收",
                    "银行代扣",
                    "代扣",
                    "bank agent",
                    "bank_agent",
                ],
                "bank_agent",
            ),
            (
                &["网上缴费", "网上银行", "网银", "网厅", "online"],
                "online",
            ),
            (&["其他", "其它", "other"], "other"),
        ],
        "现金/银行卡/微信/支付宝/银行代收/网上缴费/其他",
    )
}

fn enumeration(
    text: &str,
    table: &[(&[&str], &'static str)],
    allowed: &str,
) -> Result<&'static str, CleanError> {
    let key = half_width(text).to_lowercase().replace(' ', "");
    table
        .iter()
        .find(|(labels, _)| labels.iter().any(|label| label.replace(' ', "") == key))
        .map(|(_, value)| *value)
        .ok_or_else(|| CleanError::Enumeration {
            value: text.trim().to_owned(),
            allowed: allowed.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(half_width("　ＡＢ１２３，４５６　"), "AB123,456");
        assert_eq!(half_width("王芳"), "王芳");
    }

    #[test]
    fn dates_in_every_common_form() {
        for text in [
            "2023-01-05",
            "2023/1/5",
            "2023年1月5日",
            "20230105",
            "2023.1.5",
            " ２０２３年１月５日 ",
        ] {
            assert_eq!(parse_date(text), Ok(date(2023, 1, 5)), "{text}");
        }
        for text in [
            "2023-02-30",
            "05/01/2023",
            "2023-1",
            "yesterday",
            "2023-1-5x",
        ] {
            assert!(parse_date(text).is_err(), "{text}");
        }
    }

    #[test]
    fn excel_serials_follow_the_1900_system() {
        assert_eq!(date_from_excel_serial(1.0), Some(date(1900, 1, 1)));
        assert_eq!(date_from_excel_serial(59.0), Some(date(1900, 2, 28)));
        assert_eq!(date_from_excel_serial(61.0), Some(date(1900, 3, 1)));
        assert_eq!(date_from_excel_serial(44931.0), Some(date(2023, 1, 5)));
        assert_eq!(date_from_excel_serial(-3.0), None);
    }

    #[test]
    fn numbers_stored_as_text_and_text_stored_as_numbers() {
        assert_eq!(
            parse_decimal("1,234.50", 2).map(|d| d.to_string()),
            Ok("1234.50".to_owned())
        );
        assert_eq!(
            parse_decimal("¥12.5元", 2).map(|d| d.to_string()),
            Ok("12.5".to_owned())
        );
        assert_eq!(
            parse_decimal("１２３", 2).map(|d| d.to_string()),
            Ok("123".to_owned())
        );
        assert!(matches!(
            parse_decimal("12.345", 2),
            Err(CleanError::Precision { .. })
        ));
        assert!(matches!(
            parse_decimal("abc", 2),
            Err(CleanError::Number(_))
        ));
        assert_eq!(
            decimal_from_excel_number(120.5, 2).map(|d| d.to_string()),
            Ok("120.5".to_owned())
        );
        assert!(
            decimal_from_excel_number(0.1 + 0.2, 2).is_err(),
            "a computed double is not a typed amount"
        );
    }

    #[test]
    fn identity_numbers_mangled_by_excel_are_refused_with_the_reason() {
        assert!(matches!(
            id_number_text("1.10101E+17"),
            Err(CleanError::IdAsNumber(_))
        ));
        assert_eq!(
            id_number_text(" 11010519491231002x "),
            Ok("11010519491231002X".to_owned())
        );
        let message = id_number_from_excel_number(110105194912310000.0).to_string();
        assert!(message.contains("lost its last digits"), "{message}");
        assert!(message.starts_with("'1.10105E+17'"), "{message}");
        assert_eq!(excel_general(13812345678.0), "13812345678");
        assert_eq!(excel_general(120.5), "120.5");
    }

    #[test]
    fn enumerations_by_their_labels() {
        assert_eq!(customer_type("居民"), Ok("residential"));
        assert_eq!(customer_type(" 公福 "), Ok("public_welfare"));
        assert_eq!(meter_type("IC卡表"), Ok("ic_card"));
        assert_eq!(meter_type("ＩＣ卡表"), Ok("ic_card"));
        assert_eq!(meter_type("物联网表"), Ok("iot"));
        assert!(matches!(
            meter_type("水表"),
            Err(CleanError::Enumeration { .. })
        ));
        assert_eq!(payment_channel("微信"), Ok("wechat"));
        assert_eq!(payment_channel("银行代收"), Ok("bank_agent"));
        assert_eq!(payment_channel("网上缴费"), Ok("online"));
        assert_eq!(payment_channel("ＰＯＳ"), Ok("bank_card"));
        assert_eq!(payment_channel("其他"), Ok("other"));
        assert!(matches!(
            payment_channel("支票"),
            Err(CleanError::Enumeration { .. })
        ));
    }

    proptest! {
        #[test]
        fn every_real_date_round_trips_through_each_form(days in 0_i64..60_000) {
            let day = date(1950, 1, 1) + chrono::Duration::days(days);
            for text in [
                day.format("%Y-%m-%d").to_string(),
                day.format("%Y/%-m/%-d").to_string(),
                day.format("%Y年%-m月%-d日").to_string(),
                day.format("%Y%m%d").to_string(),
            ] {
                prop_assert_eq!(parse_date(&text), Ok(day));
            }
        }

        #[test]
        fn typed_amounts_survive_excel_doubles(fen in -10_000_000_000_i64..10_000_000_000) {
            let typed = Decimal::new(fen, 2);
            let as_double: f64 = typed.to_string().parse().unwrap_or(f64::NAN);
            prop_assert_eq!(decimal_from_excel_number(as_double, 2).map(|d| d.normalize()), Ok(typed.normalize()));
        }
    }
}
