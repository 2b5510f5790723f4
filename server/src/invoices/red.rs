//! Red reversal (红冲): a red-letter confirmation form (红字确认单) per
//! reversal, its states as the platform reports them, and the red invoice
//! issued once the form allows it.
//!
//! When no confirmation is needed is the platform's decision, which we
//! record as it answers: under the fully digital rules a form the seller
//! enters for the whole of an invoice the buyer has not booked (入账 /
//! 用途确认) needs none (`not_needed`); a partial reversal or a booked
//! invoice waits for the other side (`seller_entered_awaiting_buyer`), and
//! a form the buyer entered waits for us (`buyer_entered_awaiting_seller`).
//! Either side may refuse (`refused`): the form is then dead and a new one
//! may be entered.
//!
//! A partial reversal lists the chosen lines in the original invoice's
//! order with the reversed quantities and amounts; the last piece of a
//! line takes what is left of its net and tax, so reversals of a line sum
//! exactly to the line.

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Bytea, Nullable, Numeric, SmallInt, Text},
};
use gascis_common::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use sha2::{Digest, Sha256};

use super::{
    Buyer, FORM_SELECT, FormRow, InvoiceKind, Seller, by_number, event,
    issue::{self, Begun, Clerk, NewInvoice},
    lines::{self, Line},
    load, money,
    platform::{FormLine, FormRequest, FormStatus, RedForm},
};
use crate::error::{Error, Result};

/// How much of an original line to reverse (a positive amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversalLine {
    pub line_no: i16,
    pub amount: Money,
}

/// A reversal the seller asks for; no lines means all that is left.
#[derive(Debug, Clone)]
pub struct RedRequest {
    pub idempotency_key: String,
    pub invoice_no: String,
    pub lines: Vec<ReversalLine>,
    pub reason: String,
}

/// One line of a form, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedLine {
    pub original_line_no: i16,
    pub quantity: Option<Decimal>,
    pub amount: Money,
    pub net: Money,
    pub tax: Money,
}

/// A reversal checked and ready to put to the platform.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub invoice_id: i64,
    pub form_request: FormRequest,
    pub lines: Vec<RedLine>,
    pub full: bool,
    sha: Vec<u8>,
    key: String,
    reason: String,
}

/// What `prepare` found.
#[derive(Debug, Clone)]
pub enum Prepare {
    /// The same key made this form before.
    Existing(Box<FormRow>),
    New(Box<Prepared>),
}

#[derive(QueryableByName)]
struct Remaining {
    #[diesel(sql_type = SmallInt)]
    line_no: i16,
    #[diesel(sql_type = Nullable<Numeric>)]
    quantity: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Numeric)]
    left: Decimal,
    #[diesel(sql_type = Numeric)]
    net_left: Decimal,
    #[diesel(sql_type = Numeric)]
    tax_left: Decimal,
    #[diesel(sql_type = Numeric)]
    tax_rate: Decimal,
    #[diesel(sql_type = Text)]
    tax_treatment: String,
}

/// Each original line and what no living form has reversed of it yet.
fn remaining(connection: &mut PgConnection, invoice_id: i64) -> Result<Vec<Remaining>> {
    Ok(sql_query(
        "SELECT l.line_no, l.quantity, l.amount, \
            l.amount + coalesce(sum(fl.amount), 0) AS left, \
            l.net + coalesce(sum(fl.net), 0) AS net_left, \
            l.tax + coalesce(sum(fl.tax), 0) AS tax_left, l.tax_rate, l.tax_treatment \
         FROM invoice_lines l \
         LEFT JOIN red_confirmations f ON f.invoice_id = l.invoice_id AND f.status <> 'refused' \
         LEFT JOIN red_confirmation_lines fl ON fl.confirmation_id = f.id \
            AND fl.original_line_no = l.line_no \
         WHERE l.invoice_id = $1 GROUP BY l.line_no, l.quantity, l.amount, l.net, l.tax, \
            l.tax_rate, l.tax_treatment ORDER BY l.line_no",
    )
    .bind::<BigInt, _>(invoice_id)
    .load(connection)?)
}

/// The red lines of a reversal, in the original order, and whether it is
/// the whole invoice.
fn red_lines(left: &[Remaining], wanted: &[ReversalLine]) -> Result<(Vec<RedLine>, bool)> {
    let nothing_reversed = left.iter().all(|line| line.left == line.amount);
    let chosen: Vec<(usize, Decimal)> = if wanted.is_empty() {
        left.iter()
            .enumerate()
            .filter(|(_, line)| line.left > Decimal::ZERO)
            .map(|(index, line)| (index, line.left))
            .collect()
    } else {
        let mut chosen = Vec::new();
        for (index, want) in wanted.iter().enumerate() {
            let field = |name: &str| format!("lines[{index}].{name}");
            let Some(position) = left.iter().position(|line| line.line_no == want.line_no) else {
                return Err(Error::invalid(
                    field("line_no"),
                    format!("the invoice has no line {}", want.line_no),
                ));
            };
            if chosen.iter().any(|(p, _)| *p == position) {
                return Err(Error::invalid(
                    field("line_no"),
                    format!("line {} is named twice", want.line_no),
                ));
            }
            let amount = want.amount.as_decimal();
            if amount <= Decimal::ZERO {
                return Err(Error::invalid(
                    field("amount"),
                    "give the amount to reverse as a positive figure",
                ));
            }
            if amount > left[position].left {
                return Err(Error::invalid(
                    field("amount"),
                    format!(
                        "{} is more than the {} left to reverse on line {}",
                        want.amount, left[position].left, want.line_no
                    ),
                ));
            }
            chosen.push((position, amount));
        }
        // A partial reversal lists its lines in the original order.
        chosen.sort_by_key(|(position, _)| *position);
        chosen
    };
    if chosen.is_empty() {
        return Err(Error::Refused(
            "the invoice is reversed in full already (or by forms waiting for confirmation)"
                .to_owned(),
        ));
    }
    let whole = nothing_reversed
        && chosen.len() == left.len()
        && chosen
            .iter()
            .all(|(position, amount)| *amount == left[*position].amount);
    let mut out = Vec::new();
    for (position, amount) in chosen {
        let line = &left[position];
        let amount_money = money(-amount, "red amount")?;
        let (net, tax) = if amount == line.left {
            // The last piece takes exactly what is left.
            (
                money(-line.net_left, "red net")?,
                money(-line.tax_left, "red tax")?,
            )
        } else if line.tax_treatment == lines::NOT_TAXABLE {
            (amount_money, Money::ZERO)
        } else {
            lines::split(amount_money, line.tax_rate)?
        };
        let quantity = line.quantity.map(|quantity| {
            if amount == line.amount {
                -quantity
            } else {
                -(quantity * amount / line.amount)
                    .round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
            }
        });
        out.push(RedLine {
            original_line_no: line.line_no,
            quantity,
            amount: amount_money,
            net,
            tax,
        });
    }
    Ok((out, whole))
}

fn form_sha(kind: &str, invoice_no: &str, lines: &[ReversalLine], reason: &str) -> Vec<u8> {
    let lines: Vec<String> = lines
        .iter()
        .map(|line| format!("{}:{}", line.line_no, line.amount))
        .collect();
    Sha256::digest(format!(
        "{kind}|{invoice_no}|{}|{}",
        lines.join(","),
        reason.trim()
    ))
    .to_vec()
}

fn replay_form(connection: &mut PgConnection, key: &str, sha: &[u8]) -> Result<Option<FormRow>> {
    #[derive(QueryableByName)]
    struct Existing {
        #[diesel(sql_type = Text)]
        form_no: String,
        #[diesel(sql_type = Bytea)]
        request_sha256: Vec<u8>,
    }
    let existing: Option<Existing> = sql_query(
        "SELECT form_no, request_sha256 FROM red_confirmations WHERE idempotency_key = $1",
    )
    .bind::<Text, _>(key)
    .get_result(connection)
    .optional()?;
    match existing {
        None => Ok(None),
        Some(row) if row.request_sha256 != sha => Err(Error::AlreadyExists(format!(
            "idempotency key {key} was used for red-letter form {} with other content",
            row.form_no
        ))),
        Some(row) => form(connection, &row.form_no).map(Some),
    }
}

pub fn form(connection: &mut PgConnection, form_no: &str) -> Result<FormRow> {
    sql_query(format!("{FORM_SELECT} WHERE f.form_no = $1"))
        .bind::<Text, _>(form_no.trim())
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("red-letter confirmation form {}", form_no.trim())))
}

fn check_request(key: &str, reason: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "say why the invoice is reversed"));
    }
    if reason.chars().count() > 200 {
        return Err(Error::invalid("reason", "is longer than 200 characters"));
    }
    Ok(())
}

/// The issued blue invoice a reversal is about.
fn reversible(connection: &mut PgConnection, invoice_no: &str) -> Result<(i64, String)> {
    let view = by_number(connection, invoice_no)?;
    let row = &view.invoice;
    if row.colour != "blue" {
        return Err(Error::Refused(format!(
            "{invoice_no} is a red invoice; only a blue invoice is reversed"
        )));
    }
    let Some(number) = row.invoice_no.clone().filter(|_| row.status == "issued") else {
        return Err(Error::Refused(format!(
            "invoice request {} is {}; only an issued invoice is reversed",
            row.request_no, row.status
        )));
    };
    Ok((row.id, number))
}

/// Checks a reversal the seller asks for and what to put to the platform.
pub fn prepare(connection: &mut PgConnection, request: &RedRequest) -> Result<Prepare> {
    check_request(&request.idempotency_key, &request.reason)?;
    let key = request.idempotency_key.trim().to_owned();
    let sha = form_sha(
        "seller",
        request.invoice_no.trim(),
        &request.lines,
        &request.reason,
    );
    if let Some(existing) = replay_form(connection, &key, &sha)? {
        return Ok(Prepare::Existing(Box::new(existing)));
    }
    let (invoice_id, invoice_no) = reversible(connection, &request.invoice_no)?;
    let left = remaining(connection, invoice_id)?;
    let (red, full) = red_lines(&left, &request.lines)?;
    Ok(Prepare::New(Box::new(Prepared {
        invoice_id,
        form_request: FormRequest {
            request_key: key.clone(),
            original_invoice_no: invoice_no,
            full,
            lines: red
                .iter()
                .map(|line| FormLine {
                    original_line_no: line.original_line_no,
                    amount: line.amount,
                })
                .collect(),
            reason: request.reason.trim().to_owned(),
        },
        lines: red,
        full,
        sha,
        key,
        reason: request.reason.trim().to_owned(),
    })))
}

fn insert_form(
    connection: &mut PgConnection,
    prepared: &Prepared,
    initiator: &str,
    platform_form: &RedForm,
    actor: &str,
) -> Result<FormRow> {
    connection.transaction(|connection| {
        sql_query("SELECT id FROM invoices WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(prepared.invoice_id)
            .execute(connection)?;
        if let Some(existing) = replay_form(connection, &prepared.key, &prepared.sha)? {
            return Ok(existing);
        }
        // Re-checked under the invoice's lock: a form entered meanwhile
        // may have taken what this one wants.
        let left = remaining(connection, prepared.invoice_id)?;
        for line in &prepared.lines {
            let still = left
                .iter()
                .find(|l| l.line_no == line.original_line_no)
                .map_or(Decimal::ZERO, |l| l.left);
            if -line.amount.as_decimal() > still {
                return Err(Error::Refused(format!(
                    "line {} has only {still} left to reverse now",
                    line.original_line_no
                )));
            }
        }
        let (mut amount, mut net, mut tax) = (Money::ZERO, Money::ZERO, Money::ZERO);
        let overflow = || Error::Internal("form total overflow".to_owned());
        for line in &prepared.lines {
            amount = amount.checked_add(line.amount).ok_or_else(overflow)?;
            net = net.checked_add(line.net).ok_or_else(overflow)?;
            tax = tax.checked_add(line.tax).ok_or_else(overflow)?;
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = sql_query(
            "INSERT INTO red_confirmations (form_no, idempotency_key, request_sha256, invoice_id, \
                initiator, full_reversal, reason, amount, net, tax, status, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind::<Text, _>(&platform_form.form_no)
        .bind::<Text, _>(&prepared.key)
        .bind::<Bytea, _>(&prepared.sha)
        .bind::<BigInt, _>(prepared.invoice_id)
        .bind::<Text, _>(initiator)
        .bind::<Bool, _>(prepared.full)
        .bind::<Text, _>(&prepared.reason)
        .bind::<Numeric, _>(amount.as_decimal())
        .bind::<Numeric, _>(net.as_decimal())
        .bind::<Numeric, _>(tax.as_decimal())
        .bind::<Text, _>(platform_form.status.as_str())
        .bind::<Text, _>(actor)
        .get_result(connection)?;
        for line in &prepared.lines {
            sql_query(
                "INSERT INTO red_confirmation_lines (confirmation_id, original_line_no, quantity, \
                    amount, net, tax) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind::<BigInt, _>(id.id)
            .bind::<SmallInt, _>(line.original_line_no)
            .bind::<Nullable<Numeric>, _>(line.quantity)
            .bind::<Numeric, _>(line.amount.as_decimal())
            .bind::<Numeric, _>(line.net.as_decimal())
            .bind::<Numeric, _>(line.tax.as_decimal())
            .execute(connection)?;
        }
        event(
            connection,
            prepared.invoice_id,
            Some(id.id),
            ("", platform_form.status.as_str()),
            initiator,
            actor,
            &format!(
                "红字确认单 {} {amount} ({})",
                platform_form.form_no, prepared.reason
            ),
        )?;
        form(connection, &platform_form.form_no)
    })
}

/// Records the form the platform made of the seller's request.
pub fn record_seller_form(
    connection: &mut PgConnection,
    prepared: &Prepared,
    platform_form: &RedForm,
    actor: &str,
) -> Result<FormRow> {
    if !matches!(
        platform_form.status,
        FormStatus::NotNeeded | FormStatus::SellerEnteredAwaitingBuyer
    ) {
        return Err(Error::Internal(format!(
            "the platform answered a new seller form with {}",
            platform_form.status.as_str()
        )));
    }
    insert_form(connection, prepared, "seller", platform_form, actor)
}

/// Records a form the buyer entered on the platform (looked up by its
/// number); it waits for our confirmation.
pub fn record_buyer_form(
    connection: &mut PgConnection,
    platform_form: &RedForm,
    idempotency_key: &str,
    reason: &str,
    actor: &str,
) -> Result<FormRow> {
    check_request(idempotency_key, reason)?;
    if platform_form.status != FormStatus::BuyerEnteredAwaitingSeller {
        return Err(Error::Refused(format!(
            "form {} is {} on the platform, not entered by the buyer and waiting for us",
            platform_form.form_no,
            platform_form.status.as_str()
        )));
    }
    let wanted: Vec<ReversalLine> = platform_form
        .lines
        .iter()
        .map(|line| ReversalLine {
            line_no: line.original_line_no,
            amount: -line.amount,
        })
        .collect();
    let key = idempotency_key.trim().to_owned();
    let sha = form_sha("buyer", &platform_form.form_no, &wanted, reason);
    if let Some(existing) = replay_form(connection, &key, &sha)? {
        return Ok(existing);
    }
    let (invoice_id, invoice_no) = reversible(connection, &platform_form.original_invoice_no)?;
    let left = remaining(connection, invoice_id)?;
    let (red, full) = red_lines(&left, &wanted)?;
    let prepared = Prepared {
        invoice_id,
        form_request: FormRequest {
            request_key: key.clone(),
            original_invoice_no: invoice_no,
            full,
            lines: platform_form.lines.clone(),
            reason: reason.trim().to_owned(),
        },
        lines: red,
        full,
        sha,
        key,
        reason: reason.trim().to_owned(),
    };
    insert_form(connection, &prepared, "buyer", platform_form, actor)
}

/// Records a form's new state as the platform reports it: our answer to a
/// buyer's form (`side` seller) or the buyer's answer to ours (`side`
/// buyer). An unchanged state records nothing.
pub fn record_answer(
    connection: &mut PgConnection,
    platform_form: &RedForm,
    side: &str,
    actor: &str,
) -> Result<FormRow> {
    connection.transaction(|connection| {
        let current = form(connection, &platform_form.form_no)?;
        sql_query("SELECT id FROM red_confirmations WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(current.id)
            .execute(connection)?;
        let current = form(connection, &platform_form.form_no)?;
        let new_status = platform_form.status.as_str();
        if current.status == new_status {
            return Ok(current);
        }
        let waiting = matches!(
            current.status.as_str(),
            "buyer_entered_awaiting_seller" | "seller_entered_awaiting_buyer"
        );
        if !waiting
            || !matches!(
                platform_form.status,
                FormStatus::BothConfirmed | FormStatus::Refused
            )
        {
            return Err(Error::Refused(format!(
                "form {} cannot go from {} to {new_status}",
                current.form_no, current.status
            )));
        }
        sql_query(
            "UPDATE red_confirmations SET status = $2, updated_at = clock_timestamp() WHERE id = $1",
        )
        .bind::<BigInt, _>(current.id)
        .bind::<Text, _>(new_status)
        .execute(connection)?;
        event(
            connection,
            current.invoice_id,
            Some(current.id),
            (&current.status, new_status),
            side,
            actor,
            &format!("红字确认单 {}", current.form_no),
        )?;
        form(connection, &platform_form.form_no)
    })
}

/// The form must be waiting for the seller before we answer it.
pub fn check_awaits_seller(connection: &mut PgConnection, form_no: &str) -> Result<FormRow> {
    let current = form(connection, form_no)?;
    if current.status != "buyer_entered_awaiting_seller" {
        return Err(Error::Refused(format!(
            "form {} is {}; only a form the buyer entered waits for our confirmation",
            current.form_no, current.status
        )));
    }
    Ok(current)
}

/// Records the red invoice of a form that allows it as pending; the
/// caller asks the platform and settles through `issue::settle`.
pub fn begin_red(
    connection: &mut PgConnection,
    form_no: &str,
    idempotency_key: &str,
    clerk: &Clerk,
) -> Result<Begun> {
    let key = idempotency_key.trim();
    if key.is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    let sha = Sha256::digest(format!("red|{}", form_no.trim())).to_vec();
    connection.transaction(|connection| {
        let current = form(connection, form_no)?;
        sql_query("SELECT id FROM red_confirmations WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(current.id)
            .execute(connection)?;
        #[derive(QueryableByName)]
        struct Existing {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Bytea)]
            request_sha256: Vec<u8>,
        }
        let by_key: Option<Existing> =
            sql_query("SELECT id, request_sha256 FROM invoices WHERE idempotency_key = $1")
                .bind::<Text, _>(key)
                .get_result(connection)
                .optional()?;
        if let Some(existing) = by_key {
            if existing.request_sha256 != sha {
                return Err(Error::AlreadyExists(format!(
                    "idempotency key {key} was used for another invoice request"
                )));
            }
            return Ok(Begun::Existing(Box::new(load(connection, existing.id)?)));
        }
        let allowed = matches!(current.status.as_str(), "not_needed" | "both_confirmed");
        if !allowed {
            return Err(Error::Refused(format!(
                "form {} is {}; a red invoice needs a form that is not_needed or both_confirmed",
                current.form_no, current.status
            )));
        }
        let living: Option<Existing> = sql_query(
            "SELECT id, request_sha256 FROM invoices WHERE red_confirmation_id = $1 \
                AND status <> 'failed'",
        )
        .bind::<BigInt, _>(current.id)
        .get_result(connection)
        .optional()?;
        if living.is_some() {
            return Err(Error::AlreadyExists(format!(
                "form {} has its red invoice already",
                current.form_no
            )));
        }
        let original = load(connection, current.invoice_id)?;
        #[derive(QueryableByName)]
        struct FormLineRow {
            #[diesel(sql_type = SmallInt)]
            original_line_no: i16,
            #[diesel(sql_type = Nullable<Numeric>)]
            quantity: Option<Decimal>,
            #[diesel(sql_type = Numeric)]
            amount: Decimal,
            #[diesel(sql_type = Numeric)]
            net: Decimal,
            #[diesel(sql_type = Numeric)]
            tax: Decimal,
        }
        let form_lines: Vec<FormLineRow> = sql_query(
            "SELECT original_line_no, quantity, amount, net, tax FROM red_confirmation_lines \
             WHERE confirmation_id = $1 ORDER BY original_line_no",
        )
        .bind::<BigInt, _>(current.id)
        .load(connection)?;
        let mut red = Vec::new();
        for form_line in &form_lines {
            let line = original
                .lines
                .iter()
                .find(|l| l.line_no == form_line.original_line_no)
                .ok_or_else(|| {
                    Error::Internal(format!(
                        "form {} names line {} the invoice lacks",
                        current.form_no, form_line.original_line_no
                    ))
                })?;
            red.push(Line {
                source: match line.source.as_str() {
                    "bill_line" => "bill_line",
                    "bill_part" => "bill_part",
                    "late_fee" => "late_fee",
                    "arrears" => "arrears",
                    _ => "prepayment",
                },
                bill_id: line.bill_id,
                payment_id: line.payment_id,
                original_line_no: Some(line.line_no),
                item_name: line.item_name.clone(),
                specification: line.specification.clone(),
                unit: line.unit.clone(),
                quantity: form_line.quantity,
                unit_price: line.unit_price,
                amount: money(form_line.amount, "red amount")?,
                tax_rate: line.tax_rate,
                tax_treatment: if line.tax_treatment == lines::NOT_TAXABLE {
                    lines::NOT_TAXABLE
                } else {
                    ""
                },
                net: money(form_line.net, "red net")?,
                tax: money(form_line.tax, "red tax")?,
            });
        }
        let totals = lines::totals(&red)?;
        let row = &original.invoice;
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
        let request_no = format!(
            "FP{}{:08}",
            crate::archive::today().format("%Y%m%d"),
            next.seq
        );
        let buyer = Buyer {
            title: row.buyer_title.clone(),
            tax_id: row.buyer_tax_id.clone(),
            address_phone: row.buyer_address_phone.clone(),
            bank_account: row.buyer_bank_account.clone(),
            email: row.buyer_email.clone(),
        };
        let seller = Seller {
            name: row.seller_name.clone(),
            tax_id: row.seller_tax_id.clone(),
            address_phone: row.seller_address_phone.clone(),
            bank_account: row.seller_bank_account.clone(),
        };
        let remark = format!(
            "被红冲蓝字发票号码：{} 红字确认单：{}",
            row.invoice_no.clone().unwrap_or_default(),
            current.form_no
        );
        issue::insert_invoice(
            connection,
            &NewInvoice {
                id: next.id,
                request_no: &request_no,
                key,
                sha: &sha,
                kind: InvoiceKind::parse(&row.kind)?,
                colour: "red",
                basis: &row.basis,
                customer_id: row.customer_id,
                original_invoice_id: Some(row.id),
                red_confirmation_id: Some(current.id),
                buyer: &buyer,
                seller: &seller,
                totals,
                remark: &remark,
                clerk,
            },
        )?;
        issue::insert_lines(connection, next.id, &red)?;
        event(
            connection,
            next.id,
            Some(current.id),
            ("", "pending"),
            "seller",
            &clerk.username,
            &format!("red {} for {}", totals.0, current.form_no),
        )?;
        let request = issue::platform_request(connection, next.id)?;
        Ok(Begun::Ask {
            invoice_id: next.id,
            request: Box::new(request),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        text.parse().unwrap_or(Money::ZERO)
    }

    fn line(no: i16, amount: &str, net: &str, tax: &str, quantity: Option<&str>) -> Remaining {
        let d = |t: &str| t.parse::<Decimal>().unwrap_or_default();
        Remaining {
            line_no: no,
            quantity: quantity.map(d),
            amount: d(amount),
            left: d(amount),
            net_left: d(net),
            tax_left: d(tax),
            tax_rate: Decimal::new(9, 2),
            tax_treatment: String::new(),
        }
    }

    #[test]
    fn partial_lines_come_in_the_original_order() -> Result<()> {
        let left = vec![
            line(1, "261.00", "239.45", "21.55", Some("100.000")),
            line(2, "52.20", "47.89", "4.31", Some("20.000")),
            line(3, "10.00", "9.17", "0.83", None),
        ];
        let wanted = vec![
            ReversalLine {
                line_no: 3,
                amount: m("10.00"),
            },
            ReversalLine {
                line_no: 1,
                amount: m("26.10"),
            },
        ];
        let (red, full) = red_lines(&left, &wanted)?;
        assert!(!full);
        assert_eq!(
            red.iter().map(|l| l.original_line_no).collect::<Vec<_>>(),
            vec![1, 3]
        );
        assert_eq!(red[0].amount, m("-26.10"));
        assert_eq!(red[0].quantity, Some(Decimal::new(-10_000, 3)));
        // The whole of line 3: exactly its net and tax.
        assert_eq!((red[1].net, red[1].tax), (m("-9.17"), m("-0.83")));
        let (all, full) = red_lines(&left, &[])?;
        assert!(full);
        assert_eq!(all.len(), 3);
        Ok(())
    }

    #[test]
    fn refuses_more_than_is_left_naming_the_line() {
        let left = vec![line(1, "261.00", "239.45", "21.55", None)];
        let error = red_lines(
            &left,
            &[ReversalLine {
                line_no: 1,
                amount: m("261.01"),
            }],
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(error.starts_with("lines[0].amount"), "{error}");
        let error = red_lines(
            &left,
            &[ReversalLine {
                line_no: 7,
                amount: m("1.00"),
            }],
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(error.starts_with("lines[0].line_no"), "{error}");
    }
}
