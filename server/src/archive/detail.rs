//! Read side of the archive: account details, change records and the
//! audited reveal of personal data.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use gascis_common::proto::v1 as pb;
use rust_decimal::Decimal;

use super::{AccountRow, CustomerRow, MeterRow, load_account, load_customer};
use crate::{
    api::timestamp,
    auth::audit::{self, NewAuditEvent, kind},
    error::{Error, Result},
    ledger,
    pii::{Field, PiiKeys},
    schema::{
        account_holders, change_records, contracts, customers, household_registrations, ic_cards,
        meter_events, meters, premises,
    },
};

pub fn customer_type_to_wire(text: &str) -> pb::CustomerType {
    match text {
        "residential" => pb::CustomerType::Residential,
        "commercial" => pb::CustomerType::Commercial,
        "industrial" => pb::CustomerType::Industrial,
        "public_welfare" => pb::CustomerType::PublicWelfare,
        _ => pb::CustomerType::Unspecified,
    }
}

pub fn status_to_wire(text: &str) -> pb::AccountStatus {
    match text {
        "active" => pb::AccountStatus::Active,
        "suspended" => pb::AccountStatus::Suspended,
        "closed" => pb::AccountStatus::Closed,
        _ => pb::AccountStatus::Unspecified,
    }
}

pub fn meter_type_to_wire(text: &str) -> pb::MeterType {
    match text {
        "mechanical" => pb::MeterType::Mechanical,
        "ic_card" => pb::MeterType::IcCard,
        "iot" => pb::MeterType::Iot,
        _ => pb::MeterType::Unspecified,
    }
}

fn id_type_to_wire(text: &str) -> pb::IdType {
    match text {
        "none" => pb::IdType::None,
        "resident_id" => pb::IdType::ResidentId,
        "passport" => pb::IdType::Passport,
        "hk_macao_permit" => pb::IdType::HkMacaoPermit,
        "taiwan_permit" => pb::IdType::TaiwanPermit,
        "unified_social_credit_code" => pb::IdType::UnifiedSocialCreditCode,
        "other" => pb::IdType::Other,
        _ => pb::IdType::Unspecified,
    }
}

fn gas_purpose_to_wire(text: &str) -> pb::GasPurpose {
    match text {
        "cooking" => pb::GasPurpose::Cooking,
        "heating" => pb::GasPurpose::Heating,
        "cooking_and_heating" => pb::GasPurpose::CookingAndHeating,
        "commercial" => pb::GasPurpose::Commercial,
        "industrial" => pb::GasPurpose::Industrial,
        _ => pb::GasPurpose::Unspecified,
    }
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

pub fn customer_to_wire(customer: &CustomerRow) -> pb::Customer {
    pb::Customer {
        id: customer.id,
        party_kind: if customer.party_kind == "organisation" {
            pb::PartyKind::Organisation
        } else {
            pb::PartyKind::Person
        } as i32,
        customer_type: customer_type_to_wire(&customer.customer_type) as i32,
        name: customer.name.clone(),
        id_type: id_type_to_wire(&customer.id_type) as i32,
        id_number_masked: customer.id_number_masked.clone(),
        phone_masked: customer.phone_masked.clone(),
        phone2_masked: customer.phone2_masked.clone(),
        version: customer.version,
    }
}

/// Household size in force on a date.
pub fn household_size_on(
    connection: &mut PgConnection,
    account_id: i64,
    on: NaiveDate,
) -> Result<Option<i32>> {
    Ok(household_registrations::table
        .filter(household_registrations::account_id.eq(account_id))
        .filter(household_registrations::effective_from.le(on))
        .order((
            household_registrations::effective_from.desc(),
            household_registrations::id.desc(),
        ))
        .select(household_registrations::household_size)
        .first(connection)
        .optional()?)
}

fn account_to_wire(connection: &mut PgConnection, account: &AccountRow) -> Result<pb::Account> {
    let balances = ledger::balances(connection, account.id)?;
    let household = household_size_on(connection, account.id, super::today())?;
    Ok(pb::Account {
        id: account.id,
        account_no: account.account_no.clone(),
        status: status_to_wire(&account.status) as i32,
        low_income: account.low_income,
        household_size: household.unwrap_or(0),
        tariff_code: account.tariff_code.clone(),
        opened_on: account.opened_on.to_string(),
        closed_on: date_text(account.closed_on),
        arrears: balances.arrears.to_string(),
        prepayment: balances.prepayment.to_string(),
        version: account.version,
        notices_opt_out: account.notices_opt_out,
    })
}

fn meter_to_wire(meter: &MeterRow) -> pb::Meter {
    pb::Meter {
        id: meter.id,
        meter_no: meter.meter_no.clone(),
        meter_type: meter_type_to_wire(&meter.meter_type) as i32,
        maker: meter.maker.clone(),
        model: meter.model.clone(),
        size: meter.size.clone(),
        digits: meter.digits,
        installed_on: meter.installed_on.to_string(),
        initial_reading: meter.initial_reading.to_string(),
        installed: meter.installed,
        version: meter.version,
    }
}

/// Everything about one account, personal data masked.
pub fn account_detail(connection: &mut PgConnection, account_id: i64) -> Result<pb::AccountDetail> {
    let account = load_account(connection, account_id)?;
    let customer = load_customer(connection, account.customer_id)?;
    #[derive(Queryable)]
    struct PremiseRow {
        id: i64,
        district: String,
        community: String,
        building: String,
        unit: String,
        room: String,
        address: String,
        latitude: Option<Decimal>,
        longitude: Option<Decimal>,
        version: i32,
    }
    let premise: PremiseRow = premises::table
        .find(account.premise_id)
        .select((
            premises::id,
            premises::district,
            premises::community,
            premises::building,
            premises::unit,
            premises::room,
            premises::address,
            premises::latitude,
            premises::longitude,
            premises::version,
        ))
        .first(connection)?;
    let meter_rows: Vec<MeterRow> = meters::table
        .filter(meters::account_id.eq(account_id))
        .order((meters::installed.desc(), meters::id.desc()))
        .select(MeterRow::as_select())
        .load(connection)?;
    let events: Vec<(i64, String, String, Decimal, NaiveDate, String, String)> =
        meter_events::table
            .inner_join(meters::table)
            .filter(meter_events::account_id.eq(account_id))
            .order(meter_events::id.desc())
            .select((
                meter_events::id,
                meters::meter_no,
                meter_events::kind,
                meter_events::reading,
                meter_events::occurred_on,
                meter_events::recorded_by,
                meter_events::note,
            ))
            .load(connection)?;
    let contract_rows: Vec<(i64, String, NaiveDate, String, String, i32)> = contracts::table
        .filter(contracts::account_id.eq(account_id))
        .order(contracts::id.desc())
        .select((
            contracts::id,
            contracts::contract_no,
            contracts::signed_on,
            contracts::gas_purpose,
            contracts::price_policy,
            contracts::version,
        ))
        .load(connection)?;
    let cards: Vec<(i64, String, i32, String)> = ic_cards::table
        .filter(ic_cards::account_id.eq(account_id))
        .order(ic_cards::id.desc())
        .select((
            ic_cards::id,
            ic_cards::card_no,
            ic_cards::issue_count,
            ic_cards::status,
        ))
        .load(connection)?;
    let household: Vec<(i32, NaiveDate, DateTime<Utc>)> = household_registrations::table
        .filter(household_registrations::account_id.eq(account_id))
        .order((
            household_registrations::effective_from.desc(),
            household_registrations::id.desc(),
        ))
        .select((
            household_registrations::household_size,
            household_registrations::effective_from,
            household_registrations::recorded_at,
        ))
        .load(connection)?;
    let holders: Vec<(i64, String, NaiveDate, Option<NaiveDate>)> = account_holders::table
        .inner_join(customers::table)
        .filter(account_holders::account_id.eq(account_id))
        .order(account_holders::id.desc())
        .select((
            account_holders::customer_id,
            customers::name,
            account_holders::from_date,
            account_holders::to_date,
        ))
        .load(connection)?;
    Ok(pb::AccountDetail {
        account: Some(account_to_wire(connection, &account)?),
        customer: Some(customer_to_wire(&customer)),
        premise: Some(pb::Premise {
            id: premise.id,
            district: premise.district,
            community: premise.community,
            building: premise.building,
            unit: premise.unit,
            room: premise.room,
            address: premise.address,
            latitude: premise.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: premise.longitude.map(|v| v.to_string()).unwrap_or_default(),
            version: premise.version,
        }),
        meters: meter_rows.iter().map(meter_to_wire).collect(),
        meter_events: events
            .into_iter()
            .map(
                |(id, meter_no, kind, reading, occurred_on, recorded_by, note)| pb::MeterEvent {
                    id,
                    meter_no,
                    kind,
                    reading: reading.to_string(),
                    occurred_on: occurred_on.to_string(),
                    recorded_by,
                    note,
                },
            )
            .collect(),
        contracts: contract_rows
            .into_iter()
            .map(
                |(id, contract_no, signed_on, purpose, price_policy, version)| pb::Contract {
                    id,
                    contract_no,
                    signed_on: signed_on.to_string(),
                    gas_purpose: gas_purpose_to_wire(&purpose) as i32,
                    price_policy,
                    version,
                },
            )
            .collect(),
        ic_cards: cards
            .into_iter()
            .map(|(id, card_no, issue_count, status)| pb::IcCard {
                id,
                card_no,
                issue_count,
                status,
            })
            .collect(),
        household: household
            .into_iter()
            .map(|(size, from, at)| pb::HouseholdEntry {
                household_size: size,
                effective_from: from.to_string(),
                recorded_at: Some(timestamp(at)),
            })
            .collect(),
        holders: holders
            .into_iter()
            .map(|(customer_id, customer_name, from, to)| pb::AccountHolder {
                customer_id,
                customer_name,
                from_date: from.to_string(),
                to_date: date_text(to),
            })
            .collect(),
    })
}

pub fn list_changes(
    connection: &mut PgConnection,
    account_id: i64,
    limit: i64,
    before_id: Option<i64>,
) -> Result<Vec<pb::ChangeRecord>> {
    load_account(connection, account_id)?;
    let mut query = change_records::table
        .filter(change_records::account_id.eq(account_id))
        .order(change_records::id.desc())
        .limit(limit)
        .select((
            change_records::id,
            change_records::at,
            change_records::username,
            change_records::action,
            change_records::entity,
            change_records::entity_id,
            change_records::reason,
            change_records::differences,
            change_records::approved_by,
        ))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(change_records::id.lt(before));
    }
    type Row = (
        i64,
        DateTime<Utc>,
        String,
        String,
        String,
        i64,
        String,
        Vec<String>,
        String,
    );
    let rows: Vec<Row> = query.load(connection)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, username, action, entity, entity_id, reason, differences, approved_by)| {
                pb::ChangeRecord {
                    id,
                    at: Some(timestamp(at)),
                    username,
                    action,
                    entity,
                    entity_id,
                    reason,
                    differences,
                    approved_by,
                }
            },
        )
        .collect())
}

/// Decrypts a customer's personal data for someone allowed to see it, and
/// writes who saw whose data and why to the audit log in the same
/// transaction (no reveal without its record).
pub fn reveal(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    viewer: &crate::auth::Caller,
    customer_id: i64,
    reason: &str,
) -> Result<pb::RevealCustomerPiiResponse> {
    connection.transaction(|connection| {
        let customer = load_customer(connection, customer_id)?;
        let open = |field: Field, blob: &Option<Vec<u8>>| -> Result<String> {
            match blob {
                Some(blob) => keys
                    .decrypt(field, blob)
                    .map_err(|error| Error::Internal(format!("customer {customer_id}: {error}"))),
                None => Ok(String::new()),
            }
        };
        let response = pb::RevealCustomerPiiResponse {
            id_number: open(Field::IdNumber, &customer.id_number_enc)?,
            phone: open(Field::Phone, &customer.phone_enc)?,
            phone2: open(Field::Phone, &customer.phone2_enc)?,
        };
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::PII_REVEALED,
                username: &viewer.username,
                user_id: Some(viewer.user_id),
                rpc: "/gascis.v1.ArchiveService/RevealCustomerPii",
                detail: &format!("customer {customer_id} ({}): {reason}", customer.name),
                peer: &viewer.peer,
            },
        )?;
        Ok(response)
    })
}
