//! Issuing a blue invoice in three steps, like a scanned payment, so that
//! no database transaction waits on the platform: `begin` checks and
//! claims what the invoice covers and records it as pending; the caller
//! asks the platform; `settle` records the answer (issued, refused — the
//! claims are released — or unknown, resolved later by `query`).

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    result::{DatabaseErrorKind, Error as DieselError},
    sql_query,
    sql_types::{Array, BigInt, Bool, Bytea, Date, Nullable, Numeric, SmallInt, Text, Timestamptz},
};
use gascis_common::Money;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{
    Buyer, InvoiceKind, InvoiceView, Seller, event,
    lines::{self, Line},
    load, money,
    platform::{IssueOutcome, IssueRequest, Issued, PlatformLine, QueryOutcome, RedReference},
    release_claims,
};
use crate::error::{Error, Result};

/// What the invoice covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// Posted payments by number (P…), settled bills become gas lines, the
    /// rest 预付燃气费.
    Payments(Vec<String>),
    /// Bills by id: one line per bill line.
    Bills(Vec<i64>),
}

#[derive(Debug, Clone)]
pub struct IssueInput {
    pub idempotency_key: String,
    pub kind: InvoiceKind,
    pub basis: Basis,
    /// An empty title means the customer's name.
    pub buyer: Buyer,
    pub remark: String,
}

/// Who asks.
#[derive(Debug, Clone)]
pub struct Clerk {
    pub username: String,
    /// 开票人 as printed.
    pub display_name: String,
}

/// What `begin` leaves to do.
#[derive(Debug, Clone)]
pub enum Begun {
    /// Done before (same key and content): nothing to ask the platform,
    /// unless its outcome is still open.
    Existing(Box<InvoiceView>),
    /// Recorded as pending: ask the platform, then `settle`.
    Ask {
        invoice_id: i64,
        request: Box<IssueRequest>,
    },
}

/// The platform's answer, however it came.
#[derive(Debug, Clone)]
pub enum Settlement {
    Issued(Issued),
    Refused(String),
    Unknown(String),
}

impl From<IssueOutcome> for Settlement {
    fn from(outcome: IssueOutcome) -> Self {
        match outcome {
            IssueOutcome::Issued(issued) => Settlement::Issued(issued),
            IssueOutcome::Refused { code, message } => {
                Settlement::Refused(format!("{message} ({code})"))
            }
            IssueOutcome::Unknown { detail } => {
                Settlement::Unknown(format!("outcome unknown, will be queried: {detail}"))
            }
        }
    }
}

impl From<QueryOutcome> for Settlement {
    fn from(outcome: QueryOutcome) -> Self {
        match outcome {
            QueryOutcome::Issued(issued) => Settlement::Issued(issued),
            QueryOutcome::NotIssued => Settlement::Refused(
                "the platform reports it issued nothing for this request".into(),
            ),
            QueryOutcome::Unknown { detail } => {
                Settlement::Unknown(format!("outcome unknown, will be queried: {detail}"))
            }
        }
    }
}

fn fingerprint(input: &IssueInput) -> Vec<u8> {
    let basis = match &input.basis {
        Basis::Payments(numbers) => {
            let mut sorted: Vec<&str> = numbers.iter().map(|n| n.trim()).collect();
            sorted.sort_unstable();
            format!("payments:{}", sorted.join(","))
        }
        Basis::Bills(ids) => {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            format!(
                "bills:{}",
                sorted
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
    };
    let buyer = &input.buyer;
    Sha256::digest(format!(
        "{}|{basis}|{}|{}|{}|{}|{}|{}",
        input.kind.as_str(),
        buyer.title,
        buyer.tax_id,
        buyer.address_phone,
        buyer.bank_account,
        buyer.email,
        input.remark.trim()
    ))
    .to_vec()
}

fn unique_violation(error: &Error) -> bool {
    matches!(
        error,
        Error::Database(crate::db::DbError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        )))
    )
}

/// The invoice an idempotency key already made, if the content matches.
fn replay(connection: &mut PgConnection, key: &str, sha: &[u8]) -> Result<Option<InvoiceView>> {
    #[derive(QueryableByName)]
    struct Existing {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Bytea)]
        request_sha256: Vec<u8>,
        #[diesel(sql_type = Text)]
        request_no: String,
    }
    let existing: Option<Existing> =
        sql_query("SELECT id, request_sha256, request_no FROM invoices WHERE idempotency_key = $1")
            .bind::<Text, _>(key.trim())
            .get_result(connection)
            .optional()?;
    match existing {
        None => Ok(None),
        Some(row) if row.request_sha256 != sha => Err(Error::AlreadyExists(format!(
            "idempotency key {} was used for invoice request {} with other content",
            key.trim(),
            row.request_no
        ))),
        Some(row) => load(connection, row.id).map(Some),
    }
}

#[derive(QueryableByName)]
struct PaymentSource {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    payment_no: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    voided: bool,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    customer_id: i64,
}

#[derive(QueryableByName)]
struct BillSource {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Numeric)]
    vat_rate: Decimal,
    #[diesel(sql_type = Bool)]
    cancelled: bool,
    #[diesel(sql_type = Bool)]
    superseded: bool,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    customer_id: i64,
}

const BILL_SOURCE: &str = "SELECT b.id, b.period, b.amount, b.vat_rate, b.cancelled, \
       EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id AND n.period = b.period \
           AND n.revision > b.revision) AS superseded, b.account_id, a.customer_id \
     FROM bills b JOIN accounts a ON a.id = b.account_id ";

#[derive(QueryableByName)]
struct BillLine {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    tier: Option<i16>,
    #[diesel(sql_type = Text)]
    season: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    unit_price: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

fn tier_label(line: &BillLine) -> String {
    const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let base = match (line.kind.as_str(), line.tier) {
        ("tier", Some(tier)) => usize::try_from(tier.max(1) - 1)
            .ok()
            .and_then(|index| NUMERALS.get(index))
            .map_or_else(|| format!("第{tier}阶梯"), |n| format!("第{n}阶梯")),
        ("fixed_charge", _) => "固定费".to_owned(),
        ("minimum_top_up", _) => "最低收费补足".to_owned(),
        _ if !line.name.is_empty() => line.name.clone(),
        _ => "气费".to_owned(),
    };
    if line.season.is_empty() {
        base
    } else {
        format!("{base}({})", line.season)
    }
}

/// One line per bill line, at the rate of the bill's tariff revision
/// (stored on the bill when it was priced).
fn bill_lines(connection: &mut PgConnection, bill: &BillSource) -> Result<Vec<Line>> {
    let rows: Vec<BillLine> = sql_query(
        "SELECT kind, tier, season, name, volume, unit_price, amount FROM bill_lines \
         WHERE bill_id = $1 ORDER BY line_no",
    )
    .bind::<BigInt, _>(bill.id)
    .load(connection)?;
    let mut lines = Vec::new();
    for row in rows {
        let amount = money(row.amount, "bill line")?;
        if amount == Money::ZERO {
            continue;
        }
        let metered = row.unit_price.is_some() && row.volume > Decimal::ZERO;
        let mut line = lines::taxed(
            "bill_line",
            lines::GAS_ITEM,
            format!("{} {}", bill.period, tier_label(&row)),
            if metered { "立方米" } else { "" },
            metered.then_some(row.volume),
            if metered { row.unit_price } else { None },
            amount,
            bill.vat_rate,
        )?;
        line.bill_id = Some(bill.id);
        lines.push(line);
    }
    Ok(lines)
}

#[derive(QueryableByName)]
struct Allocation {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    bill_id: Option<i64>,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

/// The lines of a payment: a bill it settled in full shows the bill's
/// lines; part of a bill one gas line without quantity; late fees at the
/// bill's rate; legacy arrears at the natural-gas rate; the rest 预付.
fn payment_lines(connection: &mut PgConnection, payment: &PaymentSource) -> Result<Vec<Line>> {
    let allocations: Vec<Allocation> = sql_query(
        "SELECT kind, bill_id, amount FROM payment_allocations WHERE payment_id = $1 ORDER BY line_no",
    )
    .bind::<BigInt, _>(payment.id)
    .load(connection)?;
    let mut out = Vec::new();
    for allocation in allocations {
        let amount = money(allocation.amount, "allocation")?;
        let bill = match allocation.bill_id {
            Some(id) => Some(
                sql_query(format!("{BILL_SOURCE} WHERE b.id = $1"))
                    .bind::<BigInt, _>(id)
                    .get_result::<BillSource>(connection)?,
            ),
            None => None,
        };
        let mut new_lines = match (allocation.kind.as_str(), &bill) {
            ("principal", Some(bill)) if allocation.amount == bill.amount => {
                bill_lines(connection, bill)?
            }
            ("principal", Some(bill)) => vec![lines::taxed(
                "bill_part",
                lines::GAS_ITEM,
                format!("{} 部分", bill.period),
                "",
                None,
                None,
                amount,
                bill.vat_rate,
            )?],
            ("late_fee", Some(bill)) => vec![lines::taxed(
                "late_fee",
                lines::LATE_FEE_ITEM,
                bill.period.clone(),
                "",
                None,
                None,
                amount,
                bill.vat_rate,
            )?],
            ("arrears", _) => vec![lines::taxed(
                "arrears",
                lines::ARREARS_ITEM,
                String::new(),
                "",
                None,
                None,
                amount,
                gascis_common::tariff::Rate::natural_gas_vat().as_decimal(),
            )?],
            ("prepayment", _) => vec![lines::prepayment(amount)],
            (other, _) => {
                return Err(Error::Internal(format!(
                    "payment {} has an allocation of kind {other}",
                    payment.payment_no
                )));
            }
        };
        for line in &mut new_lines {
            line.payment_id = Some(payment.id);
            if line.bill_id.is_none() {
                line.bill_id = bill.as_ref().map(|b| b.id);
            }
        }
        out.extend(new_lines);
    }
    Ok(out)
}

/// Checks what the invoice would cover, locks the accounts, claims the
/// payments or bills and records the invoice as pending.
pub fn begin(
    connection: &mut PgConnection,
    seller: &Seller,
    clerk: &Clerk,
    input: &IssueInput,
) -> Result<Begun> {
    let key = input.idempotency_key.trim();
    if key.is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if key.len() > 100 {
        return Err(Error::invalid(
            "idempotency_key",
            "is longer than 100 characters",
        ));
    }
    let mut buyer = input.buyer.checked(input.kind)?;
    if input.remark.chars().count() > 200 {
        return Err(Error::invalid("remark", "is longer than 200 characters"));
    }
    match &input.basis {
        Basis::Payments(numbers) if numbers.is_empty() => {
            return Err(Error::invalid("payment_nos", "name at least one payment"));
        }
        Basis::Bills(ids) if ids.is_empty() => {
            return Err(Error::invalid("bill_ids", "name at least one bill"));
        }
        Basis::Payments(numbers) if numbers.len() > 200 => {
            return Err(Error::invalid("payment_nos", "at most 200 per invoice"));
        }
        Basis::Bills(ids) if ids.len() > 200 => {
            return Err(Error::invalid("bill_ids", "at most 200 per invoice"));
        }
        _ => {}
    }
    let sha = fingerprint(&IssueInput {
        buyer: buyer.clone(),
        ..input.clone()
    });
    let result = connection.transaction(|connection| -> Result<Begun> {
        let (field, customer_ids, account_ids) = match &input.basis {
            Basis::Payments(numbers) => {
                let numbers: Vec<String> = numbers.iter().map(|n| n.trim().to_owned()).collect();
                let found: Vec<PaymentSource> = sql_query(
                    "SELECT p.id, p.payment_no, p.kind, p.status, \
                        EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) AS voided, \
                        p.account_id, a.customer_id \
                     FROM payments p JOIN accounts a ON a.id = p.account_id \
                     WHERE p.payment_no = ANY($1)",
                )
                .bind::<Array<Text>, _>(&numbers)
                .load(connection)?;
                for number in &numbers {
                    if !found.iter().any(|p| &p.payment_no == number) {
                        return Err(Error::invalid(
                            "payment_nos",
                            format!("no payment {number}"),
                        ));
                    }
                }
                (
                    "payment_nos",
                    found.iter().map(|p| p.customer_id).collect::<Vec<_>>(),
                    found.iter().map(|p| p.account_id).collect::<Vec<_>>(),
                )
            }
            Basis::Bills(ids) => {
                let found: Vec<BillSource> =
                    sql_query(format!("{BILL_SOURCE} WHERE b.id = ANY($1)"))
                        .bind::<Array<BigInt>, _>(ids)
                        .load(connection)?;
                for id in ids {
                    if !found.iter().any(|b| b.id == *id) {
                        return Err(Error::invalid("bill_ids", format!("no bill {id}")));
                    }
                }
                (
                    "bill_ids",
                    found.iter().map(|b| b.customer_id).collect(),
                    found.iter().map(|b| b.account_id).collect(),
                )
            }
        };
        let customer_id = customer_ids[0];
        if customer_ids.iter().any(|id| *id != customer_id) {
            return Err(Error::invalid(
                field,
                "everything on one invoice must belong to one customer",
            ));
        }
        // Payments and bill corrections of these accounts queue behind us,
        // and we behind them: what is checked below stays true.
        let mut accounts = account_ids.clone();
        accounts.sort_unstable();
        accounts.dedup();
        sql_query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind::<Array<BigInt>, _>(&accounts)
            .execute(connection)?;
        if let Some(done) = replay(connection, key, &sha)? {
            return Ok(Begun::Existing(Box::new(done)));
        }
        let mut invoice_lines = Vec::new();
        let mut claims: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        match &input.basis {
            Basis::Payments(numbers) => {
                let numbers: Vec<String> = numbers.iter().map(|n| n.trim().to_owned()).collect();
                let mut payments: Vec<PaymentSource> = sql_query(
                    "SELECT p.id, p.payment_no, p.kind, p.status, \
                        EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) AS voided, \
                        p.account_id, a.customer_id \
                     FROM payments p JOIN accounts a ON a.id = p.account_id \
                     WHERE p.payment_no = ANY($1) ORDER BY p.id",
                )
                .bind::<Array<Text>, _>(&numbers)
                .load(connection)?;
                payments.dedup_by_key(|p| p.id);
                for payment in &payments {
                    if payment.voided {
                        return Err(Error::Refused(format!(
                            "payment {} was voided (冲正); a voided payment cannot be invoiced",
                            payment.payment_no
                        )));
                    }
                    if payment.kind != "payment" || payment.status != "posted" {
                        return Err(Error::Refused(format!(
                            "payment {} is a {} ({}); only posted payments are invoiced",
                            payment.payment_no, payment.kind, payment.status
                        )));
                    }
                    refuse_claimed(connection, "payment_id", payment.id, &payment.payment_no)?;
                    // Its bills must not be on a bill invoice already.
                    #[derive(QueryableByName)]
                    struct Clash {
                        #[diesel(sql_type = Text)]
                        invoice: String,
                        #[diesel(sql_type = Text)]
                        period: String,
                    }
                    let clash: Option<Clash> = sql_query(
                        "SELECT coalesce(i.invoice_no, i.request_no) AS invoice, b.period \
                         FROM payment_allocations pa JOIN invoice_claims c ON c.bill_id = pa.bill_id \
                            AND c.released_at IS NULL \
                         JOIN invoices i ON i.id = c.invoice_id JOIN bills b ON b.id = pa.bill_id \
                         WHERE pa.payment_id = $1 AND pa.kind = 'principal' LIMIT 1",
                    )
                    .bind::<BigInt, _>(payment.id)
                    .get_result(connection)
                    .optional()?;
                    if let Some(clash) = clash {
                        return Err(Error::AlreadyExists(format!(
                            "the {} bill that payment {} settled is on invoice {} already",
                            clash.period, payment.payment_no, clash.invoice
                        )));
                    }
                    invoice_lines.extend(payment_lines(connection, payment)?);
                    claims.push((Some(payment.id), None));
                }
            }
            Basis::Bills(ids) => {
                let bills: Vec<BillSource> =
                    sql_query(format!("{BILL_SOURCE} WHERE b.id = ANY($1) ORDER BY b.period, b.id"))
                        .bind::<Array<BigInt>, _>(ids)
                        .load(connection)?;
                for bill in &bills {
                    if bill.cancelled || bill.superseded {
                        return Err(Error::Refused(format!(
                            "bill {} ({}) is cancelled or replaced by a later revision; \
                             only a current bill is invoiced",
                            bill.id, bill.period
                        )));
                    }
                    if bill.amount <= Decimal::ZERO {
                        return Err(Error::Refused(format!(
                            "bill {} ({}) is for {}; there is nothing to invoice",
                            bill.id, bill.period, bill.amount
                        )));
                    }
                    refuse_claimed(
                        connection,
                        "bill_id",
                        bill.id,
                        &format!("bill {} ({})", bill.id, bill.period),
                    )?;
                    #[derive(QueryableByName)]
                    struct Clash {
                        #[diesel(sql_type = Text)]
                        invoice: String,
                        #[diesel(sql_type = Text)]
                        payment_no: String,
                    }
                    let clash: Option<Clash> = sql_query(
                        "SELECT coalesce(i.invoice_no, i.request_no) AS invoice, p.payment_no \
                         FROM payment_allocations pa JOIN invoice_claims c ON c.payment_id = pa.payment_id \
                            AND c.released_at IS NULL \
                         JOIN invoices i ON i.id = c.invoice_id JOIN payments p ON p.id = pa.payment_id \
                         WHERE pa.bill_id = $1 AND pa.kind = 'principal' LIMIT 1",
                    )
                    .bind::<BigInt, _>(bill.id)
                    .get_result(connection)
                    .optional()?;
                    if let Some(clash) = clash {
                        return Err(Error::AlreadyExists(format!(
                            "bill {} ({}) was paid by payment {}, which is on invoice {} already",
                            bill.id, bill.period, clash.payment_no, clash.invoice
                        )));
                    }
                    invoice_lines.extend(bill_lines(connection, bill)?);
                    claims.push((None, Some(bill.id)));
                }
            }
        }
        if invoice_lines.is_empty() {
            return Err(Error::Refused("there is nothing to invoice".to_owned()));
        }
        if invoice_lines.len() > i16::MAX as usize {
            return Err(Error::invalid("bill_ids", "too many lines for one invoice"));
        }
        if buyer.title.is_empty() {
            #[derive(QueryableByName)]
            struct Name {
                #[diesel(sql_type = Text)]
                name: String,
            }
            let name: Name = sql_query("SELECT name FROM customers WHERE id = $1")
                .bind::<BigInt, _>(customer_id)
                .get_result(connection)?;
            buyer.title = name.name;
        }
        let (total, net, tax) = lines::totals(&invoice_lines)?;
        #[derive(QueryableByName)]
        struct Next {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = BigInt)]
            seq: i64,
        }
        let next: Next = sql_query(
            "SELECT nextval('invoices_id_seq') AS id, nextval('invoice_request_no_seq') AS seq",
        )
        .get_result(connection)?;
        let request_no = format!("FP{}{:08}", crate::archive::today().format("%Y%m%d"), next.seq);
        let basis = match input.basis {
            Basis::Payments(_) => "payments",
            Basis::Bills(_) => "bills",
        };
        insert_invoice(
            connection,
            &NewInvoice {
                id: next.id,
                request_no: &request_no,
                key,
                sha: &sha,
                kind: input.kind,
                colour: "blue",
                basis,
                customer_id,
                original_invoice_id: None,
                red_confirmation_id: None,
                buyer: &buyer,
                seller,
                totals: (total, net, tax),
                remark: input.remark.trim(),
                clerk,
            },
        )?;
        insert_lines(connection, next.id, &invoice_lines)?;
        for (payment_id, bill_id) in claims {
            sql_query(
                "INSERT INTO invoice_claims (invoice_id, payment_id, bill_id) VALUES ($1, $2, $3)",
            )
            .bind::<BigInt, _>(next.id)
            .bind::<Nullable<BigInt>, _>(payment_id)
            .bind::<Nullable<BigInt>, _>(bill_id)
            .execute(connection)?;
        }
        event(
            connection,
            next.id,
            None,
            ("", "pending"),
            "seller",
            &clerk.username,
            &format!("{} {total}", input.kind.as_str()),
        )?;
        let request = platform_request(connection, next.id)?;
        Ok(Begun::Ask {
            invoice_id: next.id,
            request: Box::new(request),
        })
    });
    match result {
        // Another request claimed the same payment or bill (or used the
        // key) at the same moment: the database's unique keys decided.
        Err(error) if unique_violation(&error) => match replay(connection, key, &sha)? {
            Some(done) => Ok(Begun::Existing(Box::new(done))),
            None => Err(Error::AlreadyExists(
                "a payment or bill of this request was invoiced at the same moment by another \
                 request"
                    .to_owned(),
            )),
        },
        other => other,
    }
}

fn refuse_claimed(connection: &mut PgConnection, column: &str, id: i64, label: &str) -> Result<()> {
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = Text)]
        invoice: String,
        #[diesel(sql_type = Text)]
        status: String,
    }
    let holder: Option<Holder> = sql_query(format!(
        "SELECT coalesce(i.invoice_no, i.request_no) AS invoice, i.status FROM invoice_claims c \
         JOIN invoices i ON i.id = c.invoice_id \
         WHERE c.{column} = $1 AND c.released_at IS NULL"
    ))
    .bind::<BigInt, _>(id)
    .get_result(connection)
    .optional()?;
    match holder {
        Some(holder) => Err(Error::AlreadyExists(format!(
            "{label} is on invoice {} ({}) already; reverse it in full (红冲) before invoicing again",
            holder.invoice, holder.status
        ))),
        None => Ok(()),
    }
}

pub(crate) struct NewInvoice<'a> {
    pub id: i64,
    pub request_no: &'a str,
    pub key: &'a str,
    pub sha: &'a [u8],
    pub kind: InvoiceKind,
    pub colour: &'a str,
    pub basis: &'a str,
    pub customer_id: i64,
    pub original_invoice_id: Option<i64>,
    pub red_confirmation_id: Option<i64>,
    pub buyer: &'a Buyer,
    pub seller: &'a Seller,
    pub totals: (Money, Money, Money),
    pub remark: &'a str,
    pub clerk: &'a Clerk,
}

pub(crate) fn insert_invoice(connection: &mut PgConnection, new: &NewInvoice<'_>) -> Result<()> {
    sql_query(
        "INSERT INTO invoices (id, request_no, idempotency_key, request_sha256, kind, colour, basis, \
            customer_id, original_invoice_id, red_confirmation_id, buyer_title, buyer_tax_id, \
            buyer_address_phone, buyer_bank_account, buyer_email, seller_name, seller_tax_id, \
            seller_address_phone, seller_bank_account, total_amount, total_net, total_tax, remark, \
            status, issuer, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
            $19, $20, $21, $22, $23, 'pending', $24, $25)",
    )
    .bind::<BigInt, _>(new.id)
    .bind::<Text, _>(new.request_no)
    .bind::<Text, _>(new.key)
    .bind::<Bytea, _>(new.sha)
    .bind::<Text, _>(new.kind.as_str())
    .bind::<Text, _>(new.colour)
    .bind::<Text, _>(new.basis)
    .bind::<BigInt, _>(new.customer_id)
    .bind::<Nullable<BigInt>, _>(new.original_invoice_id)
    .bind::<Nullable<BigInt>, _>(new.red_confirmation_id)
    .bind::<Text, _>(&new.buyer.title)
    .bind::<Text, _>(&new.buyer.tax_id)
    .bind::<Text, _>(&new.buyer.address_phone)
    .bind::<Text, _>(&new.buyer.bank_account)
    .bind::<Text, _>(&new.buyer.email)
    .bind::<Text, _>(&new.seller.name)
    .bind::<Text, _>(&new.seller.tax_id)
    .bind::<Text, _>(&new.seller.address_phone)
    .bind::<Text, _>(&new.seller.bank_account)
    .bind::<Numeric, _>(new.totals.0.as_decimal())
    .bind::<Numeric, _>(new.totals.1.as_decimal())
    .bind::<Numeric, _>(new.totals.2.as_decimal())
    .bind::<Text, _>(new.remark)
    .bind::<Text, _>(&new.clerk.display_name)
    .bind::<Text, _>(&new.clerk.username)
    .execute(connection)?;
    Ok(())
}

pub(crate) fn insert_lines(
    connection: &mut PgConnection,
    invoice_id: i64,
    lines: &[Line],
) -> Result<()> {
    for (index, line) in lines.iter().enumerate() {
        sql_query(
            "INSERT INTO invoice_lines (invoice_id, line_no, source, bill_id, payment_id, \
                original_line_no, item_name, specification, unit, quantity, unit_price, amount, \
                tax_rate, tax_treatment, net, tax) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind::<BigInt, _>(invoice_id)
        .bind::<SmallInt, _>(i16::try_from(index + 1).unwrap_or(i16::MAX))
        .bind::<Text, _>(line.source)
        .bind::<Nullable<BigInt>, _>(line.bill_id)
        .bind::<Nullable<BigInt>, _>(line.payment_id)
        .bind::<Nullable<SmallInt>, _>(line.original_line_no)
        .bind::<Text, _>(&line.item_name)
        .bind::<Text, _>(&line.specification)
        .bind::<Text, _>(&line.unit)
        .bind::<Nullable<Numeric>, _>(line.quantity)
        .bind::<Nullable<Numeric>, _>(line.unit_price)
        .bind::<Numeric, _>(line.amount.as_decimal())
        .bind::<Numeric, _>(line.tax_rate)
        .bind::<Text, _>(line.tax_treatment)
        .bind::<Numeric, _>(line.net.as_decimal())
        .bind::<Numeric, _>(line.tax.as_decimal())
        .execute(connection)?;
    }
    Ok(())
}

/// What the platform is asked for, rebuilt from the stored invoice (also
/// for a retry of a pending one).
pub fn platform_request(connection: &mut PgConnection, invoice_id: i64) -> Result<IssueRequest> {
    let view = load(connection, invoice_id)?;
    let row = &view.invoice;
    let mut platform_lines = Vec::new();
    for line in &view.lines {
        platform_lines.push(PlatformLine {
            line_no: line.line_no,
            item_name: line.item_name.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            amount: money(line.amount, "line amount")?,
            tax_rate: line.tax_rate,
            net: money(line.net, "line net")?,
            tax: money(line.tax, "line tax")?,
        });
    }
    Ok(IssueRequest {
        request_no: row.request_no.clone(),
        kind: InvoiceKind::parse(&row.kind)?,
        buyer: Buyer {
            title: row.buyer_title.clone(),
            tax_id: row.buyer_tax_id.clone(),
            address_phone: row.buyer_address_phone.clone(),
            bank_account: row.buyer_bank_account.clone(),
            email: row.buyer_email.clone(),
        },
        lines: platform_lines,
        total: money(row.total_amount, "total")?,
        red: (row.colour == "red").then(|| RedReference {
            original_invoice_no: row.original_invoice_no.clone(),
            form_no: row.form_no.clone(),
        }),
    })
}

/// Records the platform's answer for a pending or unknown invoice. An
/// invoice settled already is returned unchanged.
pub fn settle(
    connection: &mut PgConnection,
    invoice_id: i64,
    settlement: &Settlement,
    actor: &str,
) -> Result<InvoiceView> {
    connection.transaction(|connection| {
        #[derive(QueryableByName)]
        struct Current {
            #[diesel(sql_type = Text)]
            status: String,
            #[diesel(sql_type = Nullable<BigInt>)]
            original_invoice_id: Option<i64>,
        }
        let current: Current =
            sql_query("SELECT status, original_invoice_id FROM invoices WHERE id = $1 FOR UPDATE")
                .bind::<BigInt, _>(invoice_id)
                .get_result(connection)
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("invoice {invoice_id}")))?;
        if !matches!(current.status.as_str(), "pending" | "unknown") {
            return load(connection, invoice_id);
        }
        match settlement {
            Settlement::Issued(issued) => {
                let issued_on = (issued.issued_at + chrono::Duration::hours(8)).date_naive();
                sql_query(
                    "UPDATE invoices SET status = 'issued', status_detail = '', invoice_code = $2, \
                        invoice_no = $3, issued_on = $4, issued_at = $5 WHERE id = $1",
                )
                .bind::<BigInt, _>(invoice_id)
                .bind::<Text, _>(&issued.invoice_code)
                .bind::<Text, _>(&issued.invoice_no)
                .bind::<Date, _>(issued_on)
                .bind::<Timestamptz, _>(issued.issued_at)
                .execute(connection)?;
                event(
                    connection,
                    invoice_id,
                    None,
                    (&current.status, "issued"),
                    "platform",
                    actor,
                    &issued.invoice_no,
                )?;
                if let Some(original) = current.original_invoice_id {
                    release_if_fully_reversed(connection, original, actor)?;
                }
            }
            Settlement::Refused(detail) => {
                sql_query(
                    "UPDATE invoices SET status = 'failed', status_detail = $2 WHERE id = $1",
                )
                .bind::<BigInt, _>(invoice_id)
                .bind::<Text, _>(detail)
                .execute(connection)?;
                release_claims(connection, invoice_id, "the platform refused the invoice")?;
                event(
                    connection,
                    invoice_id,
                    None,
                    (&current.status, "failed"),
                    "platform",
                    actor,
                    detail,
                )?;
            }
            Settlement::Unknown(detail) => {
                sql_query(
                    "UPDATE invoices SET status = 'unknown', status_detail = $2 WHERE id = $1",
                )
                .bind::<BigInt, _>(invoice_id)
                .bind::<Text, _>(detail)
                .execute(connection)?;
                event(
                    connection,
                    invoice_id,
                    None,
                    (&current.status, "unknown"),
                    "platform",
                    actor,
                    detail,
                )?;
            }
        }
        load(connection, invoice_id)
    })
}

/// Once red invoices reverse an invoice in full, what it covered can be
/// invoiced again.
fn release_if_fully_reversed(
    connection: &mut PgConnection,
    original_id: i64,
    actor: &str,
) -> Result<()> {
    #[derive(QueryableByName)]
    struct Sums {
        #[diesel(sql_type = Numeric)]
        total: Decimal,
        #[diesel(sql_type = Numeric)]
        reversed: Decimal,
    }
    // Locked first, summed after: the sum then sees every red invoice
    // settled before the lock was granted.
    sql_query("SELECT id FROM invoices WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(original_id)
        .execute(connection)?;
    let sums: Sums = sql_query(
        "SELECT i.total_amount AS total, coalesce((SELECT sum(r.total_amount) FROM invoices r \
             WHERE r.original_invoice_id = i.id AND r.status = 'issued'), 0) AS reversed \
         FROM invoices i WHERE i.id = $1",
    )
    .bind::<BigInt, _>(original_id)
    .get_result(connection)?;
    if sums.total + sums.reversed == Decimal::ZERO {
        release_claims(connection, original_id, "reversed in full (红冲)")?;
        event(
            connection,
            original_id,
            None,
            ("issued", "reversed"),
            "seller",
            actor,
            "reversed in full; its payments or bills may be invoiced again",
        )?;
    }
    Ok(())
}

/// Invoices whose outcome is open, older than `older_than`.
pub fn unresolved(connection: &mut PgConnection, older_than: DateTime<Utc>) -> Result<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = sql_query(
        "SELECT id FROM invoices WHERE status IN ('pending', 'unknown') AND created_at < $1 ORDER BY id",
    )
    .bind::<Timestamptz, _>(older_than)
    .load(connection)?;
    Ok(ids.into_iter().map(|id| id.id).collect())
}
