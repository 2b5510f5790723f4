//! Invoices (发票): ordinary (普票), special (专票) and fully digital (数电)
//! VAT invoices for posted payments or for bills, issued through the
//! invoicing platform ([`platform::InvoicePlatform`], simulated by
//! [`simulator::SimulatedInvoicePlatform`]), red reversals (红冲) through
//! the red-letter confirmation form, list and search, and the data the PDF
//! is laid out from.
//!
//! Scope: one invoice covers posted payments *or* bills of the accounts of
//! one customer (a company with several premises gets one 专票 for all);
//! its buyer is that customer unless the cashier types another title.
//!
//! Invariants:
//! - A payment or a bill is on at most one standing invoice: claims with
//!   partial unique indexes in the database. A claim is released when the
//!   platform refuses the invoice or when red invoices reverse it in full.
//! - Gas is invoiced once whichever way: a bill on a standing invoice is
//!   not invoiced again through a payment that settled it, and the reverse
//!   (checked under the accounts' row locks, so two cashiers cannot race).
//! - Lines carry amount (tax incl.), net = amount / (1 + rate) rounded
//!   half-up to the fen and tax = amount − net, so they sum exactly to the
//!   total. Prepayment is 不征税 (rate 0): VAT on gas arises when the gas is
//!   sold (billed), not when money is paid in advance, and invoicing the
//!   prepayment at 9 % would tax the same gas twice once it is billed.
//! - The platform is called outside database transactions; an answer that
//!   did not come is stored as `unknown` and resolved by querying the
//!   platform with our request number, never guessed.
//! - Every state change of an invoice or a form is a row in
//!   `invoice_events` (append-only) with who and when.

pub mod issue;
pub mod lines;
pub mod platform;
pub mod red;
pub mod simulator;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Nullable, Numeric, SmallInt, Text, Timestamptz},
};
use gascis_common::Money;
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// 普票, 专票, 数电.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceKind {
    Ordinary,
    Special,
    Digital,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Ordinary => "ordinary",
            InvoiceKind::Special => "special",
            InvoiceKind::Digital => "digital",
        }
    }

    pub fn parse(text: &str) -> Result<InvoiceKind> {
        match text.trim() {
            "ordinary" => Ok(InvoiceKind::Ordinary),
            "special" => Ok(InvoiceKind::Special),
            "digital" => Ok(InvoiceKind::Digital),
            other => Err(Error::invalid(
                "kind",
                format!("'{other}' is not ordinary (普票), special (专票) or digital (数电)"),
            )),
        }
    }

    /// The title printed on the invoice.
    pub fn title(self) -> &'static str {
        match self {
            InvoiceKind::Ordinary => "增值税普通发票",
            InvoiceKind::Special => "增值税专用发票",
            InvoiceKind::Digital => "电子发票（普通发票）",
        }
    }
}

/// 购买方 as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buyer {
    /// 名称 (抬头).
    pub title: String,
    /// 纳税人识别号: a unified social credit code, or empty for a person.
    pub tax_id: String,
    /// 地址、电话.
    pub address_phone: String,
    /// 开户行及账号.
    pub bank_account: String,
    /// Where a digital invoice is sent.
    pub email: String,
}

impl Buyer {
    /// Checks the buyer for the kind: a special invoice needs a valid tax
    /// id, the address and phone, and the bank and account; a tax id given
    /// for any kind must be valid. Fields are named `buyer.…`.
    pub fn checked(&self, kind: InvoiceKind) -> Result<Buyer> {
        let title = self.title.trim();
        if title.chars().count() > 100 {
            return Err(Error::invalid(
                "buyer.title",
                "is longer than 100 characters",
            ));
        }
        let tax_id = self.tax_id.trim();
        let tax_id = if tax_id.is_empty() {
            if kind == InvoiceKind::Special {
                return Err(Error::invalid(
                    "buyer.tax_id",
                    "a special invoice (专票) needs the buyer's taxpayer id (统一社会信用代码)",
                ));
            }
            String::new()
        } else {
            gascis_common::tax_id::validate_unified_social_credit_code(tax_id)
                .map_err(|error| Error::invalid("buyer.tax_id", error.to_string()))?
        };
        if kind == InvoiceKind::Special {
            if self.address_phone.trim().is_empty() {
                return Err(Error::invalid(
                    "buyer.address_phone",
                    "a special invoice (专票) needs the buyer's address and phone",
                ));
            }
            if self.bank_account.trim().is_empty() {
                return Err(Error::invalid(
                    "buyer.bank_account",
                    "a special invoice (专票) needs the buyer's bank and account number",
                ));
            }
        }
        for (field, value) in [
            ("buyer.address_phone", &self.address_phone),
            ("buyer.bank_account", &self.bank_account),
            ("buyer.email", &self.email),
        ] {
            if value.trim().chars().count() > 200 {
                return Err(Error::invalid(field, "is longer than 200 characters"));
            }
        }
        let email = self.email.trim();
        if !email.is_empty() && !email.contains('@') {
            return Err(Error::invalid(
                "buyer.email",
                format!("'{email}' is not an e-mail address"),
            ));
        }
        Ok(Buyer {
            title: title.to_owned(),
            tax_id,
            address_phone: self.address_phone.trim().to_owned(),
            bank_account: self.bank_account.trim().to_owned(),
            email: email.to_owned(),
        })
    }
}

/// Settings of invoicing (config `[invoices]`): the seller as printed
/// (its name is `server.company_name`) and the platform's patience.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// 销售方纳税人识别号.
    pub seller_tax_id: String,
    /// 销售方地址、电话.
    pub seller_address_phone: String,
    /// 销售方开户行及账号.
    pub seller_bank_account: String,
    /// How long to wait for the platform before an issue is unknown.
    pub platform_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seller_tax_id: String::new(),
            seller_address_phone: String::new(),
            seller_bank_account: String::new(),
            platform_timeout_ms: 15_000,
        }
    }
}

/// The seller as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    pub name: String,
    pub tax_id: String,
    pub address_phone: String,
    pub bank_account: String,
}

impl Seller {
    pub fn from_config(company_name: &str, settings: &Settings) -> Seller {
        Seller {
            name: company_name.to_owned(),
            tax_id: settings.seller_tax_id.clone(),
            address_phone: settings.seller_address_phone.clone(),
            bank_account: settings.seller_bank_account.clone(),
        }
    }
}

/// Calls the platform on a blocking thread, giving up after `timeout`
/// (the answer is then unknown).
pub async fn call_platform<T, F>(
    platform: Arc<dyn platform::InvoicePlatform>,
    timeout: Duration,
    call: F,
    on_timeout: T,
) -> T
where
    T: Send + 'static,
    F: FnOnce(&dyn platform::InvoicePlatform) -> T + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || call(platform.as_ref()));
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(answer)) => answer,
        _ => on_timeout,
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct InvoiceRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub request_no: String,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    pub request_sha256: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub colour: String,
    #[diesel(sql_type = Text)]
    pub basis: String,
    #[diesel(sql_type = BigInt)]
    pub customer_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub original_invoice_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub original_invoice_no: String,
    #[diesel(sql_type = Text)]
    pub form_no: String,
    #[diesel(sql_type = Text)]
    pub buyer_title: String,
    #[diesel(sql_type = Text)]
    pub buyer_tax_id: String,
    #[diesel(sql_type = Text)]
    pub buyer_address_phone: String,
    #[diesel(sql_type = Text)]
    pub buyer_bank_account: String,
    #[diesel(sql_type = Text)]
    pub buyer_email: String,
    #[diesel(sql_type = Text)]
    pub seller_name: String,
    #[diesel(sql_type = Text)]
    pub seller_tax_id: String,
    #[diesel(sql_type = Text)]
    pub seller_address_phone: String,
    #[diesel(sql_type = Text)]
    pub seller_bank_account: String,
    #[diesel(sql_type = Numeric)]
    pub total_amount: Decimal,
    #[diesel(sql_type = Numeric)]
    pub total_net: Decimal,
    #[diesel(sql_type = Numeric)]
    pub total_tax: Decimal,
    #[diesel(sql_type = Text)]
    pub remark: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub shown_status: String,
    #[diesel(sql_type = Text)]
    pub status_detail: String,
    #[diesel(sql_type = Text)]
    pub invoice_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub invoice_no: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub issued_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub issued_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub issuer: String,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Sum of the issued red invoices against this one (≤ 0).
    #[diesel(sql_type = Numeric)]
    pub reversed_amount: Decimal,
}

/// The invoices with what is derived: the original's number, the form,
/// how much red invoices reversed and the status as people see it
/// (issued, partly_reversed, reversed, or the raw outcome).
const SELECT: &str = "SELECT * FROM (SELECT i.id, i.request_no, i.request_sha256, i.kind, i.colour, \
       i.basis, i.customer_id, i.original_invoice_id, coalesce(o.invoice_no, '') AS original_invoice_no, \
       coalesce(f.form_no, '') AS form_no, i.buyer_title, i.buyer_tax_id, i.buyer_address_phone, \
       i.buyer_bank_account, i.buyer_email, i.seller_name, i.seller_tax_id, i.seller_address_phone, \
       i.seller_bank_account, i.total_amount, i.total_net, i.total_tax, i.remark, i.status, \
       CASE WHEN i.status = 'issued' AND r.reversed = -i.total_amount THEN 'reversed' \
            WHEN i.status = 'issued' AND r.reversed <> 0 THEN 'partly_reversed' \
            ELSE i.status END AS shown_status, \
       i.status_detail, i.invoice_code, i.invoice_no, i.issued_on, i.issued_at, i.issuer, \
       i.created_by, i.created_at, r.reversed AS reversed_amount \
     FROM invoices i LEFT JOIN invoices o ON o.id = i.original_invoice_id \
     LEFT JOIN red_confirmations f ON f.id = i.red_confirmation_id \
     CROSS JOIN LATERAL (SELECT coalesce(sum(x.total_amount), 0)::numeric(14, 2) AS reversed \
         FROM invoices x WHERE x.original_invoice_id = i.id AND x.status = 'issued') r) v ";

#[derive(Debug, Clone, QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = SmallInt)]
    pub line_no: i16,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub bill_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub payment_id: Option<i64>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub original_line_no: Option<i16>,
    #[diesel(sql_type = Text)]
    pub item_name: String,
    #[diesel(sql_type = Text)]
    pub specification: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub quantity: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub unit_price: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Numeric)]
    pub tax_rate: Decimal,
    #[diesel(sql_type = Text)]
    pub tax_treatment: String,
    #[diesel(sql_type = Numeric)]
    pub net: Decimal,
    #[diesel(sql_type = Numeric)]
    pub tax: Decimal,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = Text)]
    pub form_no: String,
    #[diesel(sql_type = Text)]
    pub from_status: String,
    #[diesel(sql_type = Text)]
    pub to_status: String,
    #[diesel(sql_type = Text)]
    pub side: String,
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Text)]
    pub detail: String,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct FormRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub form_no: String,
    #[diesel(sql_type = BigInt)]
    pub invoice_id: i64,
    #[diesel(sql_type = Text)]
    pub initiator: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub full_reversal: bool,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub red_invoice_no: String,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

pub(crate) const FORM_SELECT: &str = "SELECT f.id, f.form_no, f.invoice_id, f.initiator, \
       f.full_reversal, f.reason, f.amount, f.status, \
       coalesce((SELECT r.invoice_no FROM invoices r WHERE r.red_confirmation_id = f.id \
           AND r.status = 'issued'), '') AS red_invoice_no, f.created_by, f.created_at \
     FROM red_confirmations f ";

/// An invoice with its lines, what it covers, its forms and its history.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub invoice: InvoiceRow,
    pub lines: Vec<LineRow>,
    /// Payment numbers or bill ids ("bill 42 2026-10") it covers.
    pub sources: Vec<String>,
    /// Account numbers of what it covers.
    pub account_nos: Vec<String>,
    pub forms: Vec<FormRow>,
    pub events: Vec<EventRow>,
}

pub fn money(value: Decimal, what: &str) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

pub fn load(connection: &mut PgConnection, invoice_id: i64) -> Result<InvoiceView> {
    let invoice: InvoiceRow = sql_query(format!("{SELECT} WHERE v.id = $1"))
        .bind::<BigInt, _>(invoice_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("invoice {invoice_id}")))?;
    let lines = sql_query(
        "SELECT line_no, source, bill_id, payment_id, original_line_no, item_name, specification, \
                unit, quantity, unit_price, amount, tax_rate, tax_treatment, net, tax \
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no",
    )
    .bind::<BigInt, _>(invoice_id)
    .load(connection)?;
    #[derive(QueryableByName)]
    struct Source {
        #[diesel(sql_type = Text)]
        label: String,
        #[diesel(sql_type = Text)]
        account_no: String,
    }
    // A red invoice covers what its original covers.
    let owner = invoice.original_invoice_id.unwrap_or(invoice.id);
    let sources: Vec<Source> = sql_query(
        "SELECT coalesce(p.payment_no, 'bill ' || b.id || ' ' || b.period) AS label, a.account_no \
         FROM invoice_claims c LEFT JOIN payments p ON p.id = c.payment_id \
         LEFT JOIN bills b ON b.id = c.bill_id \
         JOIN accounts a ON a.id = coalesce(p.account_id, b.account_id) \
         WHERE c.invoice_id = $1 ORDER BY c.id",
    )
    .bind::<BigInt, _>(owner)
    .load(connection)?;
    let mut account_nos: Vec<String> = Vec::new();
    for source in &sources {
        if !account_nos.contains(&source.account_no) {
            account_nos.push(source.account_no.clone());
        }
    }
    let forms = sql_query(format!(
        "{FORM_SELECT} WHERE f.invoice_id = $1 ORDER BY f.id"
    ))
    .bind::<BigInt, _>(owner)
    .load(connection)?;
    let events = sql_query(
        "SELECT coalesce(f.form_no, '') AS form_no, e.from_status, e.to_status, e.side, e.actor, \
                e.detail, e.at \
         FROM invoice_events e LEFT JOIN red_confirmations f ON f.id = e.confirmation_id \
         WHERE e.invoice_id = $1 ORDER BY e.id",
    )
    .bind::<BigInt, _>(invoice_id)
    .load(connection)?;
    Ok(InvoiceView {
        invoice,
        lines,
        sources: sources.into_iter().map(|s| s.label).collect(),
        account_nos,
        forms,
        events,
    })
}

/// An invoice by its platform number or our request number.
pub fn by_number(connection: &mut PgConnection, number: &str) -> Result<InvoiceView> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let number = number.trim();
    if number.is_empty() {
        return Err(Error::invalid("invoice_no", "is required"));
    }
    let id: Id = sql_query(
        "SELECT id FROM invoices WHERE invoice_no = $1 OR request_no = $1 ORDER BY id LIMIT 1",
    )
    .bind::<Text, _>(number)
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("invoice {number}")))?;
    load(connection, id.id)
}

/// Records a state change (append-only).
pub(crate) fn event(
    connection: &mut PgConnection,
    invoice_id: i64,
    confirmation_id: Option<i64>,
    (from_status, to_status): (&str, &str),
    side: &str,
    actor: &str,
    detail: &str,
) -> Result<()> {
    sql_query(
        "INSERT INTO invoice_events (invoice_id, confirmation_id, from_status, to_status, side, \
            actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<BigInt, _>(invoice_id)
    .bind::<Nullable<BigInt>, _>(confirmation_id)
    .bind::<Text, _>(from_status)
    .bind::<Text, _>(to_status)
    .bind::<Text, _>(side)
    .bind::<Text, _>(actor)
    .bind::<Text, _>(detail)
    .execute(connection)?;
    Ok(())
}

/// Releases what an invoice claims, so that it can be invoiced again.
pub(crate) fn release_claims(
    connection: &mut PgConnection,
    invoice_id: i64,
    reason: &str,
) -> Result<()> {
    sql_query(
        "UPDATE invoice_claims SET released_at = clock_timestamp(), release_reason = $2 \
         WHERE invoice_id = $1 AND released_at IS NULL",
    )
    .bind::<BigInt, _>(invoice_id)
    .bind::<Text, _>(reason)
    .execute(connection)?;
    Ok(())
}

/// The standing invoice (number, or request number while not issued) a
/// payment or a bill is on, if any. Voids and bill cancellations ask
/// first: what was invoiced is reversed on paper before it is reversed in
/// the ledger.
pub fn standing_invoice_of(
    connection: &mut PgConnection,
    payment_id: Option<i64>,
    bill_id: Option<i64>,
) -> Result<Option<String>> {
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = Text)]
        invoice: String,
    }
    let holder: Option<Holder> = sql_query(
        "SELECT coalesce(i.invoice_no, i.request_no) AS invoice FROM invoice_claims c \
         JOIN invoices i ON i.id = c.invoice_id \
         WHERE c.released_at IS NULL AND (c.payment_id = $1 OR c.bill_id = $2) LIMIT 1",
    )
    .bind::<Nullable<BigInt>, _>(payment_id)
    .bind::<Nullable<BigInt>, _>(bill_id)
    .get_result(connection)
    .optional()?;
    Ok(holder.map(|h| h.invoice))
}

/// What to search for; empty texts and None match everything.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub invoice_no: String,
    pub account_no: String,
    /// Part of the buyer's title.
    pub buyer_title: String,
    /// Issue date (or request date while not issued), China time.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// pending, issued, failed, unknown, partly_reversed, reversed.
    pub status: String,
    pub kind: String,
    /// Invoices older than this id (the next page).
    pub before_id: i64,
    pub limit: i64,
}

pub const STATUSES: [&str; 6] = [
    "pending",
    "issued",
    "failed",
    "unknown",
    "partly_reversed",
    "reversed",
];

/// Newest first; a page of at most `limit` and the id to continue before.
pub fn search(connection: &mut PgConnection, search: &Search) -> Result<(Vec<InvoiceView>, i64)> {
    if !search.status.is_empty() && !STATUSES.contains(&search.status.as_str()) {
        return Err(Error::invalid(
            "status",
            format!("'{}' is not one of {}", search.status, STATUSES.join(", ")),
        ));
    }
    if !search.kind.is_empty() {
        InvoiceKind::parse(&search.kind)?;
    }
    if let (Some(from), Some(to)) = (search.from, search.to)
        && from > to
    {
        return Err(Error::invalid("date_to", "is before date_from"));
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = sql_query(format!(
        "SELECT v.id FROM ({SELECT}) v WHERE ($1 = '' OR v.invoice_no = $1 OR v.request_no = $1) \
           AND ($2 = '' OR EXISTS (SELECT 1 FROM invoice_claims c \
                LEFT JOIN payments p ON p.id = c.payment_id LEFT JOIN bills b ON b.id = c.bill_id \
                JOIN accounts a ON a.id = coalesce(p.account_id, b.account_id) \
                WHERE c.invoice_id = coalesce(v.original_invoice_id, v.id) AND a.account_no = $2)) \
           AND ($3 = '' OR strpos(v.buyer_title, $3) > 0) \
           AND ($4::date IS NULL OR coalesce(v.issued_on, (v.created_at AT TIME ZONE 'Asia/Shanghai')::date) >= $4) \
           AND ($5::date IS NULL OR coalesce(v.issued_on, (v.created_at AT TIME ZONE 'Asia/Shanghai')::date) <= $5) \
           AND ($6 = '' OR v.shown_status = $6) AND ($7 = '' OR v.kind = $7) \
           AND ($8 = 0 OR v.id < $8) \
         ORDER BY v.id DESC LIMIT $9"
    ))
    .bind::<Text, _>(search.invoice_no.trim())
    .bind::<Text, _>(search.account_no.trim())
    .bind::<Text, _>(search.buyer_title.trim())
    .bind::<Nullable<Date>, _>(search.from)
    .bind::<Nullable<Date>, _>(search.to)
    .bind::<Text, _>(search.status.trim())
    .bind::<Text, _>(search.kind.trim())
    .bind::<BigInt, _>(search.before_id)
    .bind::<BigInt, _>(search.limit + 1)
    .load(connection)?;
    let more = ids.len() > usize::try_from(search.limit).unwrap_or(usize::MAX);
    let mut views = Vec::new();
    for id in ids.iter().take(usize::try_from(search.limit).unwrap_or(0)) {
        views.push(load(connection, id.id)?);
    }
    let next = if more {
        views.last().map_or(0, |view| view.invoice.id)
    } else {
        0
    };
    Ok((views, next))
}

/// The invoice as it prints.
pub fn document(view: &InvoiceView) -> Result<crate::print::InvoiceDocument> {
    use crate::print::{InvoiceDocument, InvoiceLine, InvoiceParty};
    let row = &view.invoice;
    let kind = InvoiceKind::parse(&row.kind)?;
    let mut printed = Vec::new();
    for line in &view.lines {
        printed.push(InvoiceLine {
            item_name: line.item_name.clone(),
            specification: line.specification.clone(),
            unit: line.unit.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            net: money(line.net, "line net")?,
            rate: lines::rate_label(line.tax_rate, &line.tax_treatment),
            tax: money(line.tax, "line tax")?,
        });
    }
    let mut remark = row.remark.clone();
    if !view.account_nos.is_empty() {
        let accounts = format!("户号 {}", view.account_nos.join("、"));
        remark = if remark.is_empty() {
            accounts
        } else {
            format!("{remark} {accounts}")
        };
    }
    Ok(InvoiceDocument {
        title: kind.title().to_owned(),
        red: row.colour == "red",
        invoice_code: row.invoice_code.clone(),
        invoice_no: row.invoice_no.clone().unwrap_or_default(),
        issued_on: row.issued_on,
        buyer: InvoiceParty {
            name: row.buyer_title.clone(),
            tax_id: row.buyer_tax_id.clone(),
            address_phone: row.buyer_address_phone.clone(),
            bank_account: row.buyer_bank_account.clone(),
        },
        seller: InvoiceParty {
            name: row.seller_name.clone(),
            tax_id: row.seller_tax_id.clone(),
            address_phone: row.seller_address_phone.clone(),
            bank_account: row.seller_bank_account.clone(),
        },
        lines: printed,
        total_net: money(row.total_net, "total net")?,
        total_tax: money(row.total_tax, "total tax")?,
        total_amount: money(row.total_amount, "total")?,
        remark,
        issuer: row.issuer.clone(),
        status_note: match row.status.as_str() {
            "unknown" => "未开具（结果待查询）".to_owned(),
            "failed" => "未开具（平台拒绝）".to_owned(),
            _ => "未开具".to_owned(),
        },
    })
}

/// The invoice's PDF and a file name.
pub fn pdf(connection: &mut PgConnection, number: &str) -> Result<(String, Vec<u8>)> {
    let view = by_number(connection, number)?;
    let document = document(&view)?;
    let pdf = crate::print::render_invoice(&document)
        .map_err(|error| Error::Internal(format!("invoice PDF: {error}")))?;
    let name = view
        .invoice
        .invoice_no
        .clone()
        .unwrap_or_else(|| view.invoice.request_no.clone());
    let prefix = if view.invoice.colour == "red" {
        "红字发票"
    } else {
        "发票"
    };
    Ok((format!("{prefix}-{name}.pdf"), pdf))
}

/// What a reconciliation pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub issued: i64,
    pub failed: i64,
    pub still_unknown: i64,
}

/// Runs diesel work on the blocking pool (the reconciler has no request
/// state to borrow `api::with_connection` from).
async fn on_pool<T, F>(pool: &crate::db::PgPool, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = crate::api::connection(&pool)?;
        work(&mut connection)
    })
    .await
    .map_err(|error| Error::Internal(format!("reconcile invoices: {error}")))?
}

/// Settles every invoice whose outcome has been open for longer than
/// `settle_after`: a pending one (the server stopped before it asked) is
/// asked again — the platform issues a request number at most once — and
/// an unknown one is queried. An answer that does not come leaves it
/// unknown for the next pass.
pub async fn reconcile(
    pool: &crate::db::PgPool,
    platform: &Arc<dyn platform::InvoicePlatform>,
    settings: &Settings,
    settle_after: chrono::Duration,
) -> Result<Reconciled> {
    let cutoff = Utc::now() - settle_after;
    let open = on_pool(pool, move |connection| {
        issue::unresolved(connection, cutoff)
    })
    .await?;
    let timeout = Duration::from_millis(settings.platform_timeout_ms);
    let lost = || format!("no answer within {} ms", timeout.as_millis());
    let mut done = Reconciled::default();
    for id in open {
        let view = on_pool(pool, move |connection| load(connection, id)).await?;
        let settlement = if view.invoice.status == "pending" {
            let request = on_pool(pool, move |connection| {
                issue::platform_request(connection, id)
            })
            .await?;
            issue::Settlement::from(
                call_platform(
                    Arc::clone(platform),
                    timeout,
                    move |platform| {
                        if request.red.is_some() {
                            platform.issue_red(&request)
                        } else {
                            platform.issue(&request)
                        }
                    },
                    platform::IssueOutcome::Unknown { detail: lost() },
                )
                .await,
            )
        } else {
            let request_no = view.invoice.request_no.clone();
            issue::Settlement::from(
                call_platform(
                    Arc::clone(platform),
                    timeout,
                    move |platform| platform.query(&request_no),
                    platform::QueryOutcome::Unknown { detail: lost() },
                )
                .await,
            )
        };
        match &settlement {
            issue::Settlement::Issued(_) => done.issued += 1,
            issue::Settlement::Refused(_) => done.failed += 1,
            issue::Settlement::Unknown(_) => done.still_unknown += 1,
        }
        on_pool(pool, move |connection| {
            issue::settle(connection, id, &settlement, "reconciler")
        })
        .await?;
    }
    Ok(done)
}
