//! Validation of archive requests: proto in, checked domain values out.
//! Every refusal names the field (as a dotted proto path) and says what is
//! wrong with it.

use chrono::NaiveDate;
use gascis_common::{identity::ResidentId, phone, proto::v1 as pb};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

pub const METER_SIZES: [&str; 10] = [
    "G1.6", "G2.5", "G4", "G6", "G10", "G16", "G25", "G40", "G65", "G100",
];

pub fn party_kind(value: i32, field: &str) -> Result<&'static str> {
    match pb::PartyKind::try_from(value) {
        Ok(pb::PartyKind::Person) => Ok("person"),
        Ok(pb::PartyKind::Organisation) => Ok("organisation"),
        _ => Err(Error::invalid(field, "choose person or organisation")),
    }
}

pub fn customer_type(value: i32, field: &str) -> Result<&'static str> {
    match pb::CustomerType::try_from(value) {
        Ok(pb::CustomerType::Residential) => Ok("residential"),
        Ok(pb::CustomerType::Commercial) => Ok("commercial"),
        Ok(pb::CustomerType::Industrial) => Ok("industrial"),
        Ok(pb::CustomerType::PublicWelfare) => Ok("public_welfare"),
        _ => Err(Error::invalid(
            field,
            "choose residential, commercial, industrial or public welfare",
        )),
    }
}

pub fn id_type(value: i32, field: &str) -> Result<&'static str> {
    match pb::IdType::try_from(value) {
        Ok(pb::IdType::None) => Ok("none"),
        Ok(pb::IdType::ResidentId) => Ok("resident_id"),
        Ok(pb::IdType::Passport) => Ok("passport"),
        Ok(pb::IdType::HkMacaoPermit) => Ok("hk_macao_permit"),
        Ok(pb::IdType::TaiwanPermit) => Ok("taiwan_permit"),
        Ok(pb::IdType::UnifiedSocialCreditCode) => Ok("unified_social_credit_code"),
        Ok(pb::IdType::Other) => Ok("other"),
        _ => Err(Error::invalid(
            field,
            "choose the kind of identity document",
        )),
    }
}

pub fn meter_type(value: i32, field: &str) -> Result<&'static str> {
    match pb::MeterType::try_from(value) {
        Ok(pb::MeterType::Mechanical) => Ok("mechanical"),
        Ok(pb::MeterType::IcCard) => Ok("ic_card"),
        Ok(pb::MeterType::Iot) => Ok("iot"),
        _ => Err(Error::invalid(field, "choose mechanical, IC card or IoT")),
    }
}

pub fn gas_purpose(value: i32, field: &str) -> Result<&'static str> {
    match pb::GasPurpose::try_from(value) {
        Ok(pb::GasPurpose::Cooking) => Ok("cooking"),
        Ok(pb::GasPurpose::Heating) => Ok("heating"),
        Ok(pb::GasPurpose::CookingAndHeating) => Ok("cooking_and_heating"),
        Ok(pb::GasPurpose::Commercial) => Ok("commercial"),
        Ok(pb::GasPurpose::Industrial) => Ok("industrial"),
        _ => Err(Error::invalid(field, "choose what the gas is used for")),
    }
}

/// A required text of 1..=max characters, trimmed.
pub fn required_text(value: &str, field: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    optional_text(trimmed, field, max)
}

/// An optional text of at most max characters, trimmed.
pub fn optional_text(value: &str, field: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// YYYY-MM-DD, or `None` when empty.
pub fn optional_date(value: &str, field: &str) -> Result<Option<NaiveDate>> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Error::invalid(field, format!("'{trimmed}' is not a date (YYYY-MM-DD)")))
}

/// A meter reading in m³: not negative, at most 3 decimal places.
pub fn reading(value: &str, field: &str) -> Result<Decimal> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    let number = Decimal::from_str_exact(trimmed)
        .map_err(|_| Error::invalid(field, format!("'{trimmed}' is not a number")))?;
    if number.is_sign_negative() && !number.is_zero() {
        return Err(Error::invalid(field, "must not be negative"));
    }
    if number.normalize().scale() > 3 {
        return Err(Error::invalid(field, "has more than 3 decimal places"));
    }
    if number >= Decimal::from(10_000_000_000_i64) {
        return Err(Error::invalid(field, "is larger than any meter register"));
    }
    Ok(number)
}

fn coordinate(value: &str, field: &str, limit: i64) -> Result<Option<Decimal>> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let number = Decimal::from_str_exact(trimmed)
        .map_err(|_| Error::invalid(field, format!("'{trimmed}' is not a decimal number")))?;
    if number.abs() > Decimal::from(limit) {
        return Err(Error::invalid(
            field,
            format!("must be between -{limit} and {limit}"),
        ));
    }
    Ok(Some(number.round_dp(6)))
}

/// Check character of a unified social credit code (GB 32100-2015).
fn credit_code_valid(code: &str) -> bool {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let values: Option<Vec<usize>> = code.chars().map(|c| CHARS.find(c)).collect();
    let Some(values) = values else {
        return false;
    };
    if values.len() != 18 {
        return false;
    }
    let sum: usize = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

/// The identity number in its stored form, checked for its document type.
pub fn id_number(id_type: &str, value: &str, field: &str) -> Result<Option<String>> {
    let trimmed: String = value
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match id_type {
        "none" if trimmed.is_empty() => Ok(None),
        "none" => Err(Error::invalid(
            field,
            "give the document type for this number",
        )),
        _ if trimmed.is_empty() => Err(Error::invalid(field, "is required for this document type")),
        "resident_id" => ResidentId::parse(&trimmed)
            .map(|id| Some(id.as_str().to_owned()))
            .map_err(|error| Error::invalid(field, error.to_string())),
        "unified_social_credit_code" => {
            let upper = trimmed.to_uppercase();
            if credit_code_valid(&upper) {
                Ok(Some(upper))
            } else {
                Err(Error::invalid(
                    field,
                    "is not a valid unified social credit code (18 characters with a check character)",
                ))
            }
        }
        _ => {
            let upper = trimmed.to_uppercase();
            if (5..=20).contains(&upper.len()) && upper.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(Some(upper))
            } else {
                Err(Error::invalid(field, "must be 5 to 20 letters and digits"))
            }
        }
    }
}

pub fn phone_number(value: &str, field: &str) -> Result<Option<String>> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    phone::normalise(value)
        .map(Some)
        .map_err(|error| Error::invalid(field, error.to_string()))
}

/// A complete new customer.
#[derive(Debug, Clone)]
pub struct CustomerData {
    pub party_kind: &'static str,
    pub customer_type: &'static str,
    pub name: String,
    pub id_type: &'static str,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub phone2: Option<String>,
}

impl CustomerData {
    pub fn from_input(input: &pb::CustomerInput) -> Result<CustomerData> {
        let party_kind = party_kind(input.party_kind.unwrap_or(0), "party_kind")?;
        let customer_type = customer_type(input.customer_type.unwrap_or(0), "customer_type")?;
        let name = required_text(input.name.as_deref().unwrap_or(""), "name", 100)?;
        let id_type = id_type(input.id_type.unwrap_or(0), "id_type")?;
        let id_number = id_number(
            id_type,
            input.id_number.as_deref().unwrap_or(""),
            "id_number",
        )?;
        let phone = phone_number(input.phone.as_deref().unwrap_or(""), "phone")?
            .ok_or_else(|| Error::invalid("phone", "is required"))?;
        let phone2 = phone_number(input.phone2.as_deref().unwrap_or(""), "phone2")?;
        Ok(CustomerData {
            party_kind,
            customer_type,
            name,
            id_type,
            id_number,
            phone: Some(phone),
            phone2,
        })
    }
}

/// Changed customer fields; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub party_kind: Option<&'static str>,
    pub customer_type: Option<&'static str>,
    pub name: Option<String>,
    /// New document type and number together (a number is checked against
    /// its type, so they change as a pair).
    pub identity: Option<(&'static str, Option<String>)>,
    pub phone: Option<String>,
    /// `Some(None)` removes the second phone.
    pub phone2: Option<Option<String>>,
}

impl CustomerChanges {
    /// `stored_id_type` is used when only the number changes.
    pub fn from_input(input: &pb::CustomerInput, stored_id_type: &str) -> Result<CustomerChanges> {
        let mut changes = CustomerChanges::default();
        if let Some(value) = input.party_kind {
            changes.party_kind = Some(party_kind(value, "party_kind")?);
        }
        if let Some(value) = input.customer_type {
            changes.customer_type = Some(customer_type(value, "customer_type")?);
        }
        if let Some(value) = &input.name {
            changes.name = Some(required_text(value, "name", 100)?);
        }
        if input.id_type.is_some() || input.id_number.is_some() {
            let kind = match input.id_type {
                Some(value) => id_type(value, "id_type")?,
                None => id_type_static(stored_id_type),
            };
            let number = match &input.id_number {
                Some(text) => id_number(kind, text, "id_number")?,
                None if kind == "none" => None,
                None => {
                    return Err(Error::invalid(
                        "id_number",
                        "give the number with its new document type",
                    ));
                }
            };
            changes.identity = Some((kind, number));
        }
        if let Some(value) = &input.phone {
            changes.phone = Some(
                phone_number(value, "phone")?
                    .ok_or_else(|| Error::invalid("phone", "is required"))?,
            );
        }
        if let Some(value) = &input.phone2 {
            changes.phone2 = Some(phone_number(value, "phone2")?);
        }
        Ok(changes)
    }
}

fn id_type_static(stored: &str) -> &'static str {
    [
        "none",
        "resident_id",
        "passport",
        "hk_macao_permit",
        "taiwan_permit",
        "unified_social_credit_code",
        "other",
    ]
    .into_iter()
    .find(|known| *known == stored)
    .unwrap_or("other")
}

#[derive(Debug, Clone)]
pub struct PremiseData {
    pub district: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub address: String,
    pub latitude: Option<Decimal>,
    pub longitude: Option<Decimal>,
}

/// "浦东新区阳光花园12栋2单元301室" from the parts.
pub fn compose_address(
    district: &str,
    community: &str,
    building: &str,
    unit: &str,
    room: &str,
) -> String {
    let mut address = format!("{district}{community}");
    if !building.is_empty() {
        address.push_str(building);
        if !building.ends_with(['栋', '幢', '号', '楼']) {
            address.push('栋');
        }
    }
    if !unit.is_empty() {
        address.push_str(unit);
        if !unit.ends_with('单') && !unit.ends_with("单元") {
            address.push_str("单元");
        }
    }
    if !room.is_empty() {
        address.push_str(room);
        if !room.ends_with('室') {
            address.push('室');
        }
    }
    address
}

impl PremiseData {
    pub fn from_input(input: &pb::PremiseInput) -> Result<PremiseData> {
        let text = |value: &Option<String>, field: &str| {
            optional_text(value.as_deref().unwrap_or(""), field, 60)
        };
        let district = text(&input.district, "district")?;
        let community = text(&input.community, "community")?;
        let building = text(&input.building, "building")?;
        let unit = text(&input.unit, "unit")?;
        let room = text(&input.room, "room")?;
        let mut address = optional_text(input.address.as_deref().unwrap_or(""), "address", 200)?;
        if address.is_empty() {
            address = compose_address(&district, &community, &building, &unit, &room);
        }
        if address.is_empty() {
            return Err(Error::invalid(
                "address",
                "is required (or give district, community, building, unit and room)",
            ));
        }
        Ok(PremiseData {
            latitude: coordinate(input.latitude.as_deref().unwrap_or(""), "latitude", 90)?,
            longitude: coordinate(input.longitude.as_deref().unwrap_or(""), "longitude", 180)?,
            district,
            community,
            building,
            unit,
            room,
            address,
        })
    }
}

/// Changed premise fields.
#[derive(Debug, Clone, Default)]
pub struct PremiseChanges {
    pub district: Option<String>,
    pub community: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<Option<Decimal>>,
    pub longitude: Option<Option<Decimal>>,
}

impl PremiseChanges {
    pub fn from_input(input: &pb::PremiseInput) -> Result<PremiseChanges> {
        let text = |value: &Option<String>, field: &str, max: usize| -> Result<Option<String>> {
            value
                .as_deref()
                .map(|v| optional_text(v, field, max))
                .transpose()
        };
        let address = match &input.address {
            Some(value) => Some(required_text(value, "address", 200)?),
            None => None,
        };
        Ok(PremiseChanges {
            district: text(&input.district, "district", 60)?,
            community: text(&input.community, "community", 60)?,
            building: text(&input.building, "building", 60)?,
            unit: text(&input.unit, "unit", 60)?,
            room: text(&input.room, "room", 60)?,
            address,
            latitude: input
                .latitude
                .as_deref()
                .map(|v| coordinate(v, "latitude", 90))
                .transpose()?,
            longitude: input
                .longitude
                .as_deref()
                .map(|v| coordinate(v, "longitude", 180))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct MeterData {
    pub meter_no: String,
    pub meter_type: &'static str,
    pub maker: String,
    pub model: String,
    pub size: String,
    pub digits: i32,
    pub initial_reading: Decimal,
    pub card_no: Option<String>,
}

fn code(value: &str, field: &str, max: usize) -> Result<String> {
    let text = required_text(value, field, max)?;
    if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::invalid(
            field,
            "may contain only letters, digits and '-'",
        ));
    }
    Ok(text.to_uppercase())
}

impl MeterData {
    pub fn from_input(input: &pb::MeterInput) -> Result<MeterData> {
        let meter_no = code(&input.meter_no, "meter_no", 32)?;
        let meter_type = meter_type(input.meter_type, "meter_type")?;
        let size = input.size.trim().to_uppercase();
        if !METER_SIZES.contains(&size.as_str()) {
            return Err(Error::invalid(
                "size",
                format!("choose one of {}", METER_SIZES.join(", ")),
            ));
        }
        if !(4..=10).contains(&input.digits) {
            return Err(Error::invalid("digits", "must be 4 to 10"));
        }
        let initial_reading = reading(&input.initial_reading, "initial_reading")?;
        if initial_reading >= Decimal::from(10_i64.pow(input.digits.unsigned_abs())) {
            return Err(Error::invalid(
                "initial_reading",
                format!("does not fit a register of {} digits", input.digits),
            ));
        }
        let card_no = if input.card_no.trim().is_empty() {
            None
        } else {
            Some(code(&input.card_no, "card_no", 32)?)
        };
        if meter_type == "ic_card" && card_no.is_none() {
            return Err(Error::invalid(
                "card_no",
                "an IC-card meter needs its card number",
            ));
        }
        if meter_type != "ic_card" && card_no.is_some() {
            return Err(Error::invalid("card_no", "only IC-card meters have a card"));
        }
        Ok(MeterData {
            meter_no,
            meter_type,
            maker: optional_text(&input.maker, "maker", 40)?,
            model: optional_text(&input.model, "model", 40)?,
            size: if size == "G1.6" {
                "G1.6".to_owned()
            } else {
                size
            },
            digits: input.digits,
            initial_reading,
            card_no,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ContractData {
    pub contract_no: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub gas_purpose: &'static str,
    pub price_policy: String,
}

impl ContractData {
    pub fn from_input(input: &pb::ContractInput) -> Result<ContractData> {
        Ok(ContractData {
            contract_no: if input.contract_no.trim().is_empty() {
                None
            } else {
                Some(code(&input.contract_no, "contract_no", 40)?)
            },
            signed_on: optional_date(&input.signed_on, "signed_on")?,
            gas_purpose: gas_purpose(input.gas_purpose, "gas_purpose")?,
            price_policy: optional_text(&input.price_policy, "price_policy", 40)?,
        })
    }
}

/// The reason every change must carry.
pub fn reason(value: &str) -> Result<String> {
    required_text(value, "reason", 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_must_be_plain_non_negative_decimals() {
        assert!(reading("12.345", "r").is_ok());
        assert!(
            matches!(reading("-1", "r"), Err(Error::InvalidArgument { message, .. }) if message == "must not be negative")
        );
        assert!(reading("1.2345", "r").is_err());
        assert!(reading("abc", "r").is_err());
        assert!(reading("", "r").is_err());
    }

    #[test]
    fn credit_codes_are_checked() {
        assert!(credit_code_valid("91350100M000100Y43"));
        assert!(!credit_code_valid("91350100M000100Y44"));
    }

    #[test]
    fn addresses_are_composed_from_parts() {
        assert_eq!(
            compose_address("浦东新区", "阳光花园", "12", "2", "301"),
            "浦东新区阳光花园12栋2单元301室"
        );
        assert_eq!(compose_address("", "", "", "", ""), "");
    }

    #[test]
    fn meter_input_is_checked_field_by_field() {
        let good = pb::MeterInput {
            meter_no: "jk-001".into(),
            meter_type: pb::MeterType::Mechanical as i32,
            maker: "金卡".into(),
            model: "G2.5".into(),
            size: "g2.5".into(),
            digits: 5,
            initial_reading: "12.5".into(),
            card_no: String::new(),
        };
        let meter = MeterData::from_input(&good);
        assert_eq!(
            meter.as_ref().map(|m| m.meter_no.as_str()).ok(),
            Some("JK-001")
        );
        let mut overflow = good.clone();
        overflow.initial_reading = "100000".into();
        assert!(
            matches!(MeterData::from_input(&overflow), Err(Error::InvalidArgument { field, .. }) if field == "initial_reading")
        );
        let mut ic_without_card = good;
        ic_without_card.meter_type = pb::MeterType::IcCard as i32;
        assert!(
            matches!(MeterData::from_input(&ic_without_card), Err(Error::InvalidArgument { field, .. }) if field == "card_no")
        );
    }
}
