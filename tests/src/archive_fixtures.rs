//! Realistic archive inputs for tests and benchmarks.

use gascis_common::{identity, proto::v1 as pb};

/// A valid resident identity number for a serial number (region 310115,
/// Pudong, Shanghai; birth dates spread over 1950-1999).
pub fn resident_id(serial: u64) -> String {
    let year = 1950 + serial % 50;
    let month = 1 + (serial / 50) % 12;
    let day = 1 + (serial / 600) % 28;
    let sequence = serial % 1000;
    let first17 = format!("310115{year:04}{month:02}{day:02}{sequence:03}");
    let check = identity::check_digit(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// A mobile number for a serial number.
pub fn mobile(serial: u64) -> String {
    format!("139{:08}", serial % 100_000_000)
}

pub fn person(name: &str, serial: u64) -> pb::CustomerInput {
    pb::CustomerInput {
        party_kind: Some(pb::PartyKind::Person as i32),
        customer_type: Some(pb::CustomerType::Residential as i32),
        name: Some(name.to_owned()),
        id_type: Some(pb::IdType::ResidentId as i32),
        id_number: Some(resident_id(serial)),
        phone: Some(mobile(serial)),
        phone2: None,
    }
}

/// A complete OpenAccount request for a residential customer.
pub fn open_request(name: &str, serial: u64) -> pb::OpenAccountRequest {
    pb::OpenAccountRequest {
        existing_customer_id: 0,
        new_customer: Some(person(name, serial)),
        premise: Some(pb::PremiseInput {
            district: Some("浦东新区".into()),
            community: Some("阳光花园".into()),
            building: Some(format!("{}", 1 + serial % 30)),
            unit: Some(format!("{}", 1 + serial % 4)),
            room: Some(format!("{}0{}", 1 + serial % 18, 1 + serial % 4)),
            address: None,
            latitude: Some("31.224361".into()),
            longitude: Some("121.469170".into()),
        }),
        meter: Some(meter(
            &format!("JK{serial:08}"),
            pb::MeterType::Mechanical,
            "",
        )),
        contract: Some(pb::ContractInput {
            contract_no: String::new(),
            signed_on: "2024-03-01".into(),
            gas_purpose: pb::GasPurpose::Cooking as i32,
            price_policy: "residential".into(),
        }),
        household_size: 3,
        low_income: false,
        opened_on: "2024-03-01".into(),
        idempotency_key: format!("test-open-{serial}"),
    }
}

pub fn meter(meter_no: &str, meter_type: pb::MeterType, card_no: &str) -> pb::MeterInput {
    pb::MeterInput {
        meter_no: meter_no.to_owned(),
        meter_type: meter_type as i32,
        maker: "金卡".into(),
        model: "JK-G2.5".into(),
        size: "G2.5".into(),
        digits: 5,
        initial_reading: "0".into(),
        card_no: card_no.to_owned(),
    }
}
