//! Lifecycle of an account: open, transfer, close, suspend and resume,
//! meter replacement, field changes and household registration.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{
    AccountRow, Actor, CustomerRow, MeterRow, NewChange, claim_account, difference,
    input::{ContractData, CustomerChanges, CustomerData, MeterData, PremiseChanges, PremiseData},
    load_account, load_customer, protect_id_number, protect_phone, record_change, stale, today,
};
use crate::{
    error::{Error, Result},
    ledger,
    pii::PiiKeys,
    schema::{
        account_holders, accounts, contracts, customers, household_registrations, ic_cards,
        meter_events, meters, premises,
    },
};

/// A holder for an account: one that exists, or one to create.
#[derive(Debug, Clone)]
pub enum CustomerRef {
    Existing(i64),
    New(CustomerData),
}

#[derive(Debug, Clone)]
pub struct OpenAccount {
    pub customer: CustomerRef,
    pub premise: PremiseData,
    pub meter: MeterData,
    pub contract: ContractData,
    pub household_size: Option<i32>,
    pub low_income: bool,
    pub opened_on: Option<NaiveDate>,
    pub idempotency_key: Option<String>,
}

impl OpenAccount {
    /// Fingerprint of what was asked, to tell a retry from a different
    /// request that reuses a key.
    fn fingerprint(&self) -> Vec<u8> {
        Sha256::digest(format!("{self:?}").as_bytes()).to_vec()
    }
}

fn insert_customer(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    data: &CustomerData,
) -> Result<i64> {
    let id_number = data
        .id_number
        .as_deref()
        .map(|v| protect_id_number(keys, v));
    let phone = data.phone.as_deref().map(|v| protect_phone(keys, v));
    let phone2 = data.phone2.as_deref().map(|v| protect_phone(keys, v));
    Ok(diesel::insert_into(customers::table)
        .values((
            customers::party_kind.eq(data.party_kind),
            customers::customer_type.eq(data.customer_type),
            customers::name.eq(&data.name),
            customers::id_type.eq(data.id_type),
            customers::id_number_enc.eq(id_number.as_ref().map(|p| p.encrypted.clone())),
            customers::id_number_hash.eq(id_number.as_ref().map(|p| p.hash.clone())),
            customers::id_number_masked.eq(id_number
                .as_ref()
                .map(|p| p.masked.clone())
                .unwrap_or_default()),
            customers::phone_enc.eq(phone.as_ref().map(|p| p.encrypted.clone())),
            customers::phone_hash.eq(phone.as_ref().map(|p| p.hash.clone())),
            customers::phone_masked
                .eq(phone.as_ref().map(|p| p.masked.clone()).unwrap_or_default()),
            customers::phone2_enc.eq(phone2.as_ref().map(|p| p.encrypted.clone())),
            customers::phone2_hash.eq(phone2.as_ref().map(|p| p.hash.clone())),
            customers::phone2_masked.eq(phone2
                .as_ref()
                .map(|p| p.masked.clone())
                .unwrap_or_default()),
        ))
        .returning(customers::id)
        .get_result(connection)?)
}

fn resolve_customer(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    customer: &CustomerRef,
    field: &str,
) -> Result<i64> {
    match customer {
        CustomerRef::Existing(id) => {
            load_customer(connection, *id)
                .map_err(|_| Error::invalid(field, format!("no customer with id {id}")))?;
            Ok(*id)
        }
        CustomerRef::New(data) => insert_customer(connection, keys, data),
    }
}

/// Refuses a meter or card number that is already taken, naming where.
fn ensure_meter_free(connection: &mut PgConnection, meter_no: &str, field: &str) -> Result<()> {
    let taken: Option<(Option<i64>, bool)> = meters::table
        .filter(meters::meter_no.eq(meter_no))
        .select((meters::account_id, meters::installed))
        .first(connection)
        .optional()?;
    if let Some((account_id, installed)) = taken {
        let on = match account_id {
            Some(id) => accounts::table
                .find(id)
                .select(accounts::account_no)
                .first::<String>(connection)
                .map(|no| {
                    format!(
                        " (account {no}{})",
                        if installed { "" } else { ", removed" }
                    )
                })
                .unwrap_or_default(),
            None => String::new(),
        };
        return Err(Error::invalid(
            field,
            format!("meter {meter_no} is already registered{on}"),
        ));
    }
    Ok(())
}

fn ensure_card_free(connection: &mut PgConnection, card_no: &str, field: &str) -> Result<()> {
    let taken: Option<i64> = ic_cards::table
        .filter(ic_cards::card_no.eq(card_no))
        .select(ic_cards::id)
        .first(connection)
        .optional()?;
    if taken.is_some() {
        return Err(Error::invalid(
            field,
            format!("card {card_no} is already issued"),
        ));
    }
    Ok(())
}

fn install_meter(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    meter: &MeterData,
    on: NaiveDate,
    kind: &str,
    note: &str,
) -> Result<i64> {
    let meter_id: i64 = diesel::insert_into(meters::table)
        .values((
            meters::meter_no.eq(&meter.meter_no),
            meters::meter_type.eq(meter.meter_type),
            meters::maker.eq(&meter.maker),
            meters::model.eq(&meter.model),
            meters::size.eq(&meter.size),
            meters::digits.eq(meter.digits),
            meters::installed_on.eq(on),
            meters::initial_reading.eq(meter.initial_reading),
            meters::account_id.eq(Some(account_id)),
            meters::installed.eq(true),
        ))
        .returning(meters::id)
        .get_result(connection)?;
    meter_event(
        connection,
        actor,
        meter_id,
        account_id,
        kind,
        meter.initial_reading,
        on,
        note,
    )?;
    if let Some(card_no) = &meter.card_no {
        diesel::insert_into(ic_cards::table)
            .values((
                ic_cards::card_no.eq(card_no),
                ic_cards::account_id.eq(account_id),
            ))
            .execute(connection)?;
    }
    Ok(meter_id)
}

#[allow(clippy::too_many_arguments)]
fn meter_event(
    connection: &mut PgConnection,
    actor: &Actor,
    meter_id: i64,
    account_id: i64,
    kind: &str,
    reading: Decimal,
    on: NaiveDate,
    note: &str,
) -> Result<()> {
    diesel::insert_into(meter_events::table)
        .values((
            meter_events::meter_id.eq(meter_id),
            meter_events::account_id.eq(account_id),
            meter_events::kind.eq(kind),
            meter_events::reading.eq(reading),
            meter_events::occurred_on.eq(on),
            meter_events::recorded_by.eq(&actor.username),
            meter_events::note.eq(note),
        ))
        .execute(connection)?;
    Ok(())
}

/// Opens an account; returns its id. With an idempotency key, a retry of
/// the same request returns the account opened the first time.
pub fn open_account(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    actor: &Actor,
    request: &OpenAccount,
) -> Result<i64> {
    let fingerprint = request.fingerprint();
    connection.transaction(|connection| {
        if let Some(key) = &request.idempotency_key {
            let earlier: Option<(i64, Option<Vec<u8>>)> = accounts::table
                .filter(accounts::open_idempotency_key.eq(key))
                .select((accounts::id, accounts::open_request_sha256))
                .first(connection)
                .optional()?;
            if let Some((id, earlier_fingerprint)) = earlier {
                if earlier_fingerprint.as_deref() == Some(fingerprint.as_slice()) {
                    return Ok(id);
                }
                return Err(Error::invalid(
                    "idempotency_key",
                    "was already used for a different account opening",
                ));
            }
        }
        ensure_meter_free(connection, &request.meter.meter_no, "meter.meter_no")?;
        if let Some(card_no) = &request.meter.card_no {
            ensure_card_free(connection, card_no, "meter.card_no")?;
        }
        let opened_on = request.opened_on.unwrap_or_else(today);
        let customer_id =
            resolve_customer(connection, keys, &request.customer, "existing_customer_id")?;
        let premise = &request.premise;
        let premise_id: i64 = diesel::insert_into(premises::table)
            .values((
                premises::district.eq(&premise.district),
                premises::community.eq(&premise.community),
                premises::building.eq(&premise.building),
                premises::unit.eq(&premise.unit),
                premises::room.eq(&premise.room),
                premises::address.eq(&premise.address),
                premises::latitude.eq(premise.latitude),
                premises::longitude.eq(premise.longitude),
            ))
            .returning(premises::id)
            .get_result(connection)?;
        let sequence: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "nextval('account_no_seq')",
        ))
        .get_result(connection)?;
        let account_no = sequence.to_string();
        let account_id: i64 = diesel::insert_into(accounts::table)
            .values((
                accounts::account_no.eq(&account_no),
                accounts::customer_id.eq(customer_id),
                accounts::premise_id.eq(premise_id),
                accounts::low_income.eq(request.low_income),
                accounts::opened_on.eq(opened_on),
                accounts::open_idempotency_key.eq(&request.idempotency_key),
                accounts::open_request_sha256.eq(Some(&fingerprint)),
            ))
            .returning(accounts::id)
            .get_result(connection)?;
        diesel::insert_into(account_holders::table)
            .values((
                account_holders::account_id.eq(account_id),
                account_holders::customer_id.eq(customer_id),
                account_holders::from_date.eq(opened_on),
            ))
            .execute(connection)?;
        install_meter(
            connection,
            actor,
            account_id,
            &request.meter,
            opened_on,
            "install",
            "开户",
        )?;
        let contract = &request.contract;
        let contract_no = contract
            .contract_no
            .clone()
            .unwrap_or_else(|| format!("HT{account_no}"));
        let contract_taken: Option<i64> = contracts::table
            .filter(contracts::contract_no.eq(&contract_no))
            .select(contracts::id)
            .first(connection)
            .optional()?;
        if contract_taken.is_some() {
            return Err(Error::invalid(
                "contract.contract_no",
                format!("contract {contract_no} already exists"),
            ));
        }
        diesel::insert_into(contracts::table)
            .values((
                contracts::contract_no.eq(&contract_no),
                contracts::account_id.eq(account_id),
                contracts::signed_on.eq(contract.signed_on.unwrap_or(opened_on)),
                contracts::gas_purpose.eq(contract.gas_purpose),
                contracts::price_policy.eq(&contract.price_policy),
            ))
            .execute(connection)?;
        if let Some(size) = request.household_size {
            diesel::insert_into(household_registrations::table)
                .values((
                    household_registrations::account_id.eq(account_id),
                    household_registrations::household_size.eq(size),
                    household_registrations::effective_from.eq(opened_on),
                    household_registrations::recorded_by.eq(&actor.username),
                ))
                .execute(connection)?;
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account_id),
                entity: "account",
                entity_id: account_id,
                action: "open_account",
                reason: "开户",
                differences: vec![
                    format!("account_no: {account_no}"),
                    format!("meter_no: {}", request.meter.meter_no),
                    format!("contract_no: {contract_no}"),
                ],
                approved_by: "",
            },
        )?;
        Ok(account_id)
    })
}

fn installed_meter(connection: &mut PgConnection, account_id: i64) -> Result<Option<MeterRow>> {
    Ok(meters::table
        .filter(meters::account_id.eq(account_id))
        .filter(meters::installed.eq(true))
        .select(MeterRow::as_select())
        .first(connection)
        .optional()?)
}

/// The latest reading known for a meter (initial or any event).
fn last_reading(connection: &mut PgConnection, meter: &MeterRow) -> Result<Decimal> {
    let latest: Option<Decimal> = meter_events::table
        .filter(meter_events::meter_id.eq(meter.id))
        .order(meter_events::id.desc())
        .select(meter_events::reading)
        .first(connection)
        .optional()?;
    Ok(latest
        .unwrap_or(meter.initial_reading)
        .max(meter.initial_reading))
}

fn check_final_reading(
    connection: &mut PgConnection,
    meter: &MeterRow,
    reading: Decimal,
    field: &str,
) -> Result<()> {
    let last = last_reading(connection, meter)?;
    if reading < last {
        return Err(Error::invalid(
            field,
            format!(
                "{reading} is below the last reading {last} of meter {}; check the register",
                meter.meter_no
            ),
        ));
    }
    if reading >= Decimal::from(10_i64.pow(meter.digits.unsigned_abs())) {
        return Err(Error::invalid(
            field,
            format!("does not fit the meter's {} digits", meter.digits),
        ));
    }
    Ok(())
}

fn ensure_not_closed(account: &AccountRow) -> Result<()> {
    if account.status == "closed" {
        let on = account
            .closed_on
            .map(|d| format!(" on {d}"))
            .unwrap_or_default();
        return Err(Error::Refused(format!(
            "account {} was closed{on}",
            account.account_no
        )));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Transfer {
    pub account_id: i64,
    pub expected_version: i32,
    pub final_reading: Decimal,
    pub new_customer: CustomerRef,
    pub carry_arrears: bool,
    pub transferred_on: Option<NaiveDate>,
    pub reason: String,
}

/// Whether a transfer needs a supervisor: checked before asking for one.
pub fn transfer_needs_approval(connection: &mut PgConnection, account_id: i64) -> Result<bool> {
    Ok(ledger::balances(connection, account_id)?.arrears > gascis_common::Money::ZERO)
}

/// 过户. `approved_by` is the supervisor already verified by the caller.
pub fn transfer(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    actor: &Actor,
    request: &Transfer,
    approved_by: Option<&str>,
) -> Result<()> {
    connection.transaction(|connection| {
        let account = claim_account(connection, request.account_id, request.expected_version)?;
        ensure_not_closed(&account)?;
        let balances = ledger::balances(connection, account.id)?;
        if balances.arrears > gascis_common::Money::ZERO {
            if !request.carry_arrears {
                return Err(Error::Refused(format!(
                    "account {} has arrears of {} CNY: settle them at the counter first, or carry them to the new holder with a supervisor's approval",
                    account.account_no, balances.arrears
                )));
            }
            if approved_by.is_none() {
                return Err(Error::ApprovalRequired(format!(
                    "carrying arrears of {} CNY to the new holder needs a supervisor's approval",
                    balances.arrears
                )));
            }
        }
        let on = request.transferred_on.unwrap_or_else(today);
        if on < account.opened_on {
            return Err(Error::invalid("transferred_on", "is before the account was opened"));
        }
        let meter = installed_meter(connection, account.id)?;
        if let Some(meter) = &meter {
            check_final_reading(connection, meter, request.final_reading, "final_reading")?;
            meter_event(connection, actor, meter.id, account.id, "final_reading", request.final_reading, on, "过户")?;
        }
        let new_customer_id = resolve_customer(connection, keys, &request.new_customer, "existing_customer_id")?;
        if new_customer_id == account.customer_id {
            return Err(Error::invalid("existing_customer_id", "is already the holder of this account"));
        }
        diesel::update(
            account_holders::table
                .filter(account_holders::account_id.eq(account.id))
                .filter(account_holders::to_date.is_null()),
        )
        .set(account_holders::to_date.eq(Some(on)))
        .execute(connection)?;
        diesel::insert_into(account_holders::table)
            .values((
                account_holders::account_id.eq(account.id),
                account_holders::customer_id.eq(new_customer_id),
                account_holders::from_date.eq(on),
            ))
            .execute(connection)?;
        diesel::update(accounts::table.find(account.id))
            .set(accounts::customer_id.eq(new_customer_id))
            .execute(connection)?;
        let old_name = load_customer(connection, account.customer_id)?.name;
        let new_name = load_customer(connection, new_customer_id)?.name;
        let mut differences = vec![format!("holder: {old_name} → {new_name}")];
        differences.push(format!("final_reading: {}", request.final_reading));
        if balances.arrears > gascis_common::Money::ZERO {
            differences.push(format!("arrears carried: {} CNY", balances.arrears));
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account.id),
                entity: "account",
                entity_id: account.id,
                action: "transfer",
                reason: &request.reason,
                differences,
                approved_by: approved_by.unwrap_or(""),
            },
        )
    })
}

#[derive(Debug, Clone)]
pub struct Close {
    pub account_id: i64,
    pub expected_version: i32,
    pub final_reading: Decimal,
    pub closed_on: Option<NaiveDate>,
    pub reason: String,
}

/// 销户. The final bill and the refund of a prepayment are posted by the
/// billing and counter modules; here the account may not close while it
/// owes money, and a prepayment to refund is noted in the change record.
pub fn close(connection: &mut PgConnection, actor: &Actor, request: &Close) -> Result<()> {
    connection.transaction(|connection| {
        let account = claim_account(connection, request.account_id, request.expected_version)?;
        ensure_not_closed(&account)?;
        let balances = ledger::balances(connection, account.id)?;
        if balances.arrears > gascis_common::Money::ZERO {
            return Err(Error::Refused(format!(
                "account {} has arrears of {} CNY; settle them before closing",
                account.account_no, balances.arrears
            )));
        }
        let on = request.closed_on.unwrap_or_else(today);
        if on < account.opened_on {
            return Err(Error::invalid(
                "closed_on",
                "is before the account was opened",
            ));
        }
        let mut differences = vec!["status: active → closed".to_owned()];
        if let Some(meter) = installed_meter(connection, account.id)? {
            check_final_reading(connection, &meter, request.final_reading, "final_reading")?;
            meter_event(
                connection,
                actor,
                meter.id,
                account.id,
                "remove",
                request.final_reading,
                on,
                "销户",
            )?;
            diesel::update(meters::table.find(meter.id))
                .set((
                    meters::installed.eq(false),
                    meters::version.eq(meters::version + 1),
                    meters::updated_at.eq(Utc::now()),
                ))
                .execute(connection)?;
            differences.push(format!(
                "meter {} removed at {}",
                meter.meter_no, request.final_reading
            ));
        }
        diesel::update(
            ic_cards::table
                .filter(ic_cards::account_id.eq(account.id))
                .filter(ic_cards::status.eq("active")),
        )
        .set(ic_cards::status.eq("cancelled"))
        .execute(connection)?;
        diesel::update(accounts::table.find(account.id))
            .set((
                accounts::status.eq("closed"),
                accounts::closed_on.eq(Some(on)),
            ))
            .execute(connection)?;
        if balances.prepayment > gascis_common::Money::ZERO {
            differences.push(format!("prepayment to refund: {} CNY", balances.prepayment));
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account.id),
                entity: "account",
                entity_id: account.id,
                action: "close",
                reason: &request.reason,
                differences,
                approved_by: "",
            },
        )
    })
}

/// 报停 (suspended = true) or 复用 (false).
pub fn set_suspended(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    expected_version: i32,
    suspended: bool,
    reason: &str,
) -> Result<()> {
    connection.transaction(|connection| {
        let account = claim_account(connection, account_id, expected_version)?;
        ensure_not_closed(&account)?;
        let (from, to, action) = if suspended {
            ("active", "suspended", "suspend")
        } else {
            ("suspended", "active", "resume")
        };
        if account.status != from {
            return Err(Error::Refused(format!(
                "account {} is {}, so it cannot be {}",
                account.account_no,
                account.status,
                if suspended { "suspended" } else { "resumed" }
            )));
        }
        diesel::update(accounts::table.find(account.id))
            .set(accounts::status.eq(to))
            .execute(connection)?;
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account.id),
                entity: "account",
                entity_id: account.id,
                action,
                reason,
                differences: vec![format!("status: {from} → {to}")],
                approved_by: "",
            },
        )
    })
}

#[derive(Debug, Clone)]
pub struct Replacement {
    pub account_id: i64,
    pub expected_version: i32,
    pub old_final_reading: Decimal,
    pub new_meter: MeterData,
    pub replaced_on: Option<NaiveDate>,
    pub reason: String,
}

/// 换表: the old meter's final reading and the new meter in one step.
pub fn replace_meter(
    connection: &mut PgConnection,
    actor: &Actor,
    request: &Replacement,
) -> Result<()> {
    connection.transaction(|connection| {
        let account = claim_account(connection, request.account_id, request.expected_version)?;
        ensure_not_closed(&account)?;
        let Some(old) = installed_meter(connection, account.id)? else {
            return Err(Error::Refused(format!(
                "account {} has no installed meter to replace",
                account.account_no
            )));
        };
        check_final_reading(
            connection,
            &old,
            request.old_final_reading,
            "old_final_reading",
        )?;
        ensure_meter_free(
            connection,
            &request.new_meter.meter_no,
            "new_meter.meter_no",
        )?;
        if let Some(card_no) = &request.new_meter.card_no {
            ensure_card_free(connection, card_no, "new_meter.card_no")?;
        }
        let on = request.replaced_on.unwrap_or_else(today);
        if on < old.installed_on {
            return Err(Error::invalid(
                "replaced_on",
                "is before the old meter was installed",
            ));
        }
        meter_event(
            connection,
            actor,
            old.id,
            account.id,
            "replaced_out",
            request.old_final_reading,
            on,
            &request.reason,
        )?;
        diesel::update(meters::table.find(old.id))
            .set((
                meters::installed.eq(false),
                meters::version.eq(meters::version + 1),
                meters::updated_at.eq(Utc::now()),
            ))
            .execute(connection)?;
        if request.new_meter.card_no.is_some() || old.meter_type == "ic_card" {
            diesel::update(
                ic_cards::table
                    .filter(ic_cards::account_id.eq(account.id))
                    .filter(ic_cards::status.eq("active")),
            )
            .set(ic_cards::status.eq("cancelled"))
            .execute(connection)?;
        }
        install_meter(
            connection,
            actor,
            account.id,
            &request.new_meter,
            on,
            "replaced_in",
            &request.reason,
        )?;
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account.id),
                entity: "meter",
                entity_id: old.id,
                action: "replace_meter",
                reason: &request.reason,
                differences: vec![
                    format!("meter: {} → {}", old.meter_no, request.new_meter.meter_no),
                    format!("old final reading: {}", request.old_final_reading),
                    format!("new initial reading: {}", request.new_meter.initial_reading),
                ],
                approved_by: "",
            },
        )
    })
}

/// Changes customer fields; personal data appears masked in the record.
#[allow(clippy::too_many_arguments)]
pub fn update_customer(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    actor: &Actor,
    account_id: Option<i64>,
    customer_id: i64,
    expected_version: i32,
    changes: &CustomerChanges,
    reason: &str,
) -> Result<()> {
    connection.transaction(|connection| {
        let claimed: Option<CustomerRow> = diesel::update(
            customers::table
                .filter(customers::id.eq(customer_id))
                .filter(customers::version.eq(expected_version)),
        )
        .set((
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(Utc::now()),
        ))
        .returning(CustomerRow::as_returning())
        .get_result(connection)
        .optional()?;
        let Some(before) = claimed else {
            let customer = load_customer(connection, customer_id)?;
            return Err(stale(
                connection,
                "customer",
                customer_id,
                &format!("customer {}", customer.name),
            ));
        };
        let mut differences = Vec::new();
        let target = customers::table.find(customer_id);
        if let Some(value) = changes.party_kind {
            differences.extend(difference("party_kind", &before.party_kind, value));
            diesel::update(target)
                .set(customers::party_kind.eq(value))
                .execute(connection)?;
        }
        if let Some(value) = changes.customer_type {
            differences.extend(difference("customer_type", &before.customer_type, value));
            diesel::update(target)
                .set(customers::customer_type.eq(value))
                .execute(connection)?;
        }
        if let Some(value) = &changes.name {
            differences.extend(difference("name", &before.name, value));
            diesel::update(target)
                .set(customers::name.eq(value))
                .execute(connection)?;
        }
        if let Some((kind, number)) = &changes.identity {
            let protected = number.as_deref().map(|n| protect_id_number(keys, n));
            let masked = protected
                .as_ref()
                .map(|p| p.masked.clone())
                .unwrap_or_default();
            differences.extend(difference("id_type", &before.id_type, kind));
            differences.extend(
                difference("id_number", &before.id_number_masked, &masked).or_else(|| {
                    // Same mask, different number: say it changed without showing it.
                    number.as_ref().map(|_| "id_number: changed".to_owned())
                }),
            );
            diesel::update(target)
                .set((
                    customers::id_type.eq(*kind),
                    customers::id_number_enc.eq(protected.as_ref().map(|p| p.encrypted.clone())),
                    customers::id_number_hash.eq(protected.as_ref().map(|p| p.hash.clone())),
                    customers::id_number_masked.eq(masked),
                ))
                .execute(connection)?;
        }
        if let Some(phone) = &changes.phone {
            let protected = protect_phone(keys, phone);
            differences.extend(difference("phone", &before.phone_masked, &protected.masked));
            diesel::update(target)
                .set((
                    customers::phone_enc.eq(Some(protected.encrypted)),
                    customers::phone_hash.eq(Some(protected.hash)),
                    customers::phone_masked.eq(protected.masked),
                ))
                .execute(connection)?;
        }
        if let Some(phone2) = &changes.phone2 {
            let protected = phone2.as_deref().map(|p| protect_phone(keys, p));
            let masked = protected
                .as_ref()
                .map(|p| p.masked.clone())
                .unwrap_or_default();
            differences.extend(difference("phone2", &before.phone2_masked, &masked));
            diesel::update(target)
                .set((
                    customers::phone2_enc.eq(protected.as_ref().map(|p| p.encrypted.clone())),
                    customers::phone2_hash.eq(protected.as_ref().map(|p| p.hash.clone())),
                    customers::phone2_masked.eq(masked),
                ))
                .execute(connection)?;
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id,
                entity: "customer",
                entity_id: customer_id,
                action: "update_customer",
                reason,
                differences,
                approved_by: "",
            },
        )
    })
}

fn decimal_text(value: Option<Decimal>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn update_premise(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: Option<i64>,
    premise_id: i64,
    expected_version: i32,
    changes: &PremiseChanges,
    reason: &str,
) -> Result<()> {
    #[derive(Queryable, Selectable)]
    #[diesel(table_name = premises)]
    struct Before {
        district: String,
        community: String,
        building: String,
        unit: String,
        room: String,
        address: String,
        latitude: Option<Decimal>,
        longitude: Option<Decimal>,
    }
    connection.transaction(|connection| {
        let claimed: Option<Before> = diesel::update(
            premises::table
                .filter(premises::id.eq(premise_id))
                .filter(premises::version.eq(expected_version)),
        )
        .set((
            premises::version.eq(premises::version + 1),
            premises::updated_at.eq(Utc::now()),
        ))
        .returning(Before::as_returning())
        .get_result(connection)
        .optional()?;
        let Some(before) = claimed else {
            let exists: Option<String> = premises::table
                .find(premise_id)
                .select(premises::address)
                .first(connection)
                .optional()?;
            let address = exists
                .ok_or_else(|| Error::NotFound(format!("no premise with id {premise_id}")))?;
            return Err(stale(
                connection,
                "premise",
                premise_id,
                &format!("premise {address}"),
            ));
        };
        let target = premises::table.find(premise_id);
        let mut differences = Vec::new();
        let texts: [(&str, &Option<String>, &String); 6] = [
            ("district", &changes.district, &before.district),
            ("community", &changes.community, &before.community),
            ("building", &changes.building, &before.building),
            ("unit", &changes.unit, &before.unit),
            ("room", &changes.room, &before.room),
            ("address", &changes.address, &before.address),
        ];
        for (field, new, old) in texts {
            if let Some(new) = new {
                differences.extend(difference(field, old, new));
            }
        }
        diesel::update(target)
            .set((
                premises::district.eq(changes.district.as_ref().unwrap_or(&before.district)),
                premises::community.eq(changes.community.as_ref().unwrap_or(&before.community)),
                premises::building.eq(changes.building.as_ref().unwrap_or(&before.building)),
                premises::unit.eq(changes.unit.as_ref().unwrap_or(&before.unit)),
                premises::room.eq(changes.room.as_ref().unwrap_or(&before.room)),
                premises::address.eq(changes.address.as_ref().unwrap_or(&before.address)),
                premises::latitude.eq(changes.latitude.unwrap_or(before.latitude)),
                premises::longitude.eq(changes.longitude.unwrap_or(before.longitude)),
            ))
            .execute(connection)?;
        if let Some(latitude) = changes.latitude {
            differences.extend(difference(
                "latitude",
                &decimal_text(before.latitude),
                &decimal_text(latitude),
            ));
        }
        if let Some(longitude) = changes.longitude {
            differences.extend(difference(
                "longitude",
                &decimal_text(before.longitude),
                &decimal_text(longitude),
            ));
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id,
                entity: "premise",
                entity_id: premise_id,
                action: "update_premise",
                reason,
                differences,
                approved_by: "",
            },
        )
    })
}

/// Changed account fields.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub low_income: Option<bool>,
    pub tariff_code: Option<String>,
    /// The customer declines bill notices (账单提醒), or takes them again.
    pub notices_opt_out: Option<bool>,
}

pub fn update_account(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    expected_version: i32,
    changes: &AccountChanges,
    reason: &str,
) -> Result<()> {
    connection.transaction(|connection| {
        let account = claim_account(connection, account_id, expected_version)?;
        ensure_not_closed(&account)?;
        let mut differences = Vec::new();
        if let Some(flag) = changes.notices_opt_out {
            differences.extend(difference(
                "notices_opt_out",
                &account.notices_opt_out.to_string(),
                &flag.to_string(),
            ));
            diesel::update(accounts::table.find(account_id))
                .set(accounts::notices_opt_out.eq(flag))
                .execute(connection)?;
        }
        if let Some(flag) = changes.low_income {
            differences.extend(difference(
                "low_income",
                &account.low_income.to_string(),
                &flag.to_string(),
            ));
            diesel::update(accounts::table.find(account_id))
                .set(accounts::low_income.eq(flag))
                .execute(connection)?;
        }
        if let Some(code) = changes.tariff_code.as_deref() {
            differences.extend(difference("tariff_code", &account.tariff_code, code));
            diesel::update(accounts::table.find(account_id))
                .set(accounts::tariff_code.eq(code))
                .execute(connection)?;
        }
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account_id),
                entity: "account",
                entity_id: account_id,
                action: "update_account",
                reason,
                differences,
                approved_by: "",
            },
        )
    })
}

/// Changed contract fields.
#[derive(Debug, Clone, Default)]
pub struct ContractChanges {
    pub signed_on: Option<NaiveDate>,
    pub gas_purpose: Option<&'static str>,
    pub price_policy: Option<String>,
}

pub fn update_contract(
    connection: &mut PgConnection,
    actor: &Actor,
    contract_id: i64,
    expected_version: i32,
    changes: &ContractChanges,
    reason: &str,
) -> Result<i64> {
    connection.transaction(|connection| {
        let claimed: Option<(i64, String, NaiveDate, String, String)> = diesel::update(
            contracts::table
                .filter(contracts::id.eq(contract_id))
                .filter(contracts::version.eq(expected_version)),
        )
        .set((
            contracts::version.eq(contracts::version + 1),
            contracts::updated_at.eq(Utc::now()),
        ))
        .returning((
            contracts::account_id,
            contracts::contract_no,
            contracts::signed_on,
            contracts::gas_purpose,
            contracts::price_policy,
        ))
        .get_result(connection)
        .optional()?;
        let Some((account_id, contract_no, signed_on, purpose, price_policy)) = claimed else {
            let exists: Option<String> = contracts::table
                .find(contract_id)
                .select(contracts::contract_no)
                .first(connection)
                .optional()?;
            let contract_no = exists
                .ok_or_else(|| Error::NotFound(format!("no contract with id {contract_id}")))?;
            return Err(stale(
                connection,
                "contract",
                contract_id,
                &format!("contract {contract_no}"),
            ));
        };
        ensure_not_closed(&load_account(connection, account_id)?)?;
        let mut differences = Vec::new();
        if let Some(date) = changes.signed_on {
            differences.extend(difference(
                "signed_on",
                &signed_on.to_string(),
                &date.to_string(),
            ));
        }
        if let Some(value) = changes.gas_purpose {
            differences.extend(difference("gas_purpose", &purpose, value));
        }
        if let Some(value) = &changes.price_policy {
            differences.extend(difference("price_policy", &price_policy, value));
        }
        diesel::update(contracts::table.find(contract_id))
            .set((
                contracts::signed_on.eq(changes.signed_on.unwrap_or(signed_on)),
                contracts::gas_purpose.eq(changes.gas_purpose.unwrap_or(&purpose)),
                contracts::price_policy.eq(changes.price_policy.as_ref().unwrap_or(&price_policy)),
            ))
            .execute(connection)?;
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account_id),
                entity: "contract",
                entity_id: contract_id,
                action: "update_contract",
                reason,
                differences: if differences.is_empty() {
                    vec![format!("contract {contract_no}: no field changed")]
                } else {
                    differences
                },
                approved_by: "",
            },
        )?;
        Ok(account_id)
    })
}

/// 人口登记: household size from a date on. A later registration with the
/// same date replaces nothing: both stay, the newer wins (history).
pub fn register_household(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    expected_version: i32,
    household_size: i32,
    effective_from: NaiveDate,
    reason: &str,
) -> Result<()> {
    if !(1..=50).contains(&household_size) {
        return Err(Error::invalid("household_size", "must be 1 to 50"));
    }
    connection.transaction(|connection| {
        let account = claim_account(connection, account_id, expected_version)?;
        ensure_not_closed(&account)?;
        if effective_from < account.opened_on {
            return Err(Error::invalid(
                "effective_from",
                "is before the account was opened",
            ));
        }
        let current = super::detail::household_size_on(connection, account_id, effective_from)?;
        diesel::insert_into(household_registrations::table)
            .values((
                household_registrations::account_id.eq(account_id),
                household_registrations::household_size.eq(household_size),
                household_registrations::effective_from.eq(effective_from),
                household_registrations::recorded_by.eq(&actor.username),
            ))
            .execute(connection)?;
        record_change(
            connection,
            NewChange {
                user_id: actor.user_id,
                username: &actor.username,
                account_id: Some(account_id),
                entity: "account",
                entity_id: account_id,
                action: "register_household",
                reason,
                differences: vec![format!(
                    "household_size from {effective_from}: {} → {household_size}",
                    current.map_or_else(|| "∅".to_owned(), |n| n.to_string())
                )],
                approved_by: "",
            },
        )
    })
}

/// The account a request names, checked to exist (for callers that need
/// it before the transaction).
pub fn account_exists(connection: &mut PgConnection, account_id: i64) -> Result<AccountRow> {
    load_account(connection, account_id)
}
