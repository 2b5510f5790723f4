//! Route books (抄表册): which accounts one reader reads, in walking order,
//! and the sheet the reader fills in.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Array, BigInt, Integer, Nullable, Numeric, Text},
};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

#[derive(Debug, Clone, QueryableByName)]
pub struct RouteBook {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub area: String,
    #[diesel(sql_type = Text)]
    pub reader: String,
    #[diesel(sql_type = BigInt)]
    pub accounts: i64,
}

const SELECT: &str = "SELECT b.id, b.code, b.name, b.area, b.reader, \
     (SELECT count(*) FROM accounts a WHERE a.route_book_id = b.id) AS accounts FROM route_books b";

pub fn list(connection: &mut PgConnection) -> Result<Vec<RouteBook>> {
    Ok(sql_query(format!("{SELECT} ORDER BY b.code")).load(connection)?)
}

pub fn find(connection: &mut PgConnection, code: &str) -> Result<RouteBook> {
    sql_query(format!("{SELECT} WHERE b.code = $1"))
        .bind::<Text, _>(code)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("route book '{code}'")))
}

/// Creates or changes a route book; a non-empty `account_nos` becomes its
/// accounts in that order (taken out of any other book).
pub fn save(
    connection: &mut PgConnection,
    code: &str,
    name: &str,
    area: &str,
    reader: &str,
    account_nos: &[String],
) -> Result<RouteBook> {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > 20 {
        return Err(Error::invalid("code", "1 to 20 characters"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Error::invalid("name", "1 to 60 characters"));
    }
    connection.transaction(|connection| {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let book: Id = sql_query(
            "INSERT INTO route_books (code, name, area, reader) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, area = excluded.area, \
                reader = excluded.reader, version = route_books.version + 1 RETURNING id",
        )
        .bind::<Text, _>(code)
        .bind::<Text, _>(name)
        .bind::<Text, _>(area.trim())
        .bind::<Text, _>(reader.trim())
        .get_result(connection)?;
        if !account_nos.is_empty() {
            let known: Vec<Id> = sql_query("SELECT id FROM accounts WHERE account_no = ANY($1)")
                .bind::<Array<Text>, _>(account_nos)
                .load(connection)?;
            if known.len() != account_nos.len() {
                #[derive(QueryableByName)]
                struct No {
                    #[diesel(sql_type = Text)]
                    account_no: String,
                }
                let found: Vec<No> =
                    sql_query("SELECT account_no FROM accounts WHERE account_no = ANY($1)")
                        .bind::<Array<Text>, _>(account_nos)
                        .load(connection)?;
                let missing: Vec<&str> = account_nos
                    .iter()
                    .map(String::as_str)
                    .filter(|no| !found.iter().any(|f| f.account_no == *no))
                    .collect();
                return Err(Error::invalid(
                    "account_nos",
                    format!("unknown or repeated account(s): {}", missing.join(", ")),
                ));
            }
            sql_query("UPDATE accounts SET route_book_id = NULL, route_seq = NULL WHERE route_book_id = $1")
                .bind::<BigInt, _>(book.id)
                .execute(connection)?;
            sql_query(
                "UPDATE accounts a SET route_book_id = $1, route_seq = x.seq \
                 FROM unnest($2::text[]) WITH ORDINALITY AS x (account_no, seq) \
                 WHERE a.account_no = x.account_no",
            )
            .bind::<BigInt, _>(book.id)
            .bind::<Array<Text>, _>(account_nos)
            .execute(connection)?;
        }
        find(connection, code)
    })
}

/// One row of a reading sheet.
#[derive(Debug, Clone, QueryableByName)]
pub struct SheetRow {
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub account_no: String,
    #[diesel(sql_type = Text)]
    pub customer_name: String,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = Text)]
    pub meter_no: String,
    #[diesel(sql_type = Integer)]
    pub digits: i32,
    #[diesel(sql_type = Numeric)]
    pub last_value: Decimal,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    pub last_read_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub daily_average: Option<Decimal>,
}

/// The accounts of a book in walking order, with their last usable reading
/// and the average daily use of their last three periods.
pub fn sheet(connection: &mut PgConnection, code: &str) -> Result<(RouteBook, Vec<SheetRow>)> {
    let book = find(connection, code)?;
    let rows = sql_query(format!(
        "SELECT a.id AS account_id, a.account_no, c.name AS customer_name, p.address, m.meter_no, m.digits, \
                coalesce(last.value, m.initial_reading) AS last_value, last.read_on AS last_read_on, \
                avg3.daily AS daily_average \
         FROM accounts a JOIN customers c ON c.id = a.customer_id JOIN premises p ON p.id = a.premise_id \
         JOIN meters m ON m.account_id = a.id AND m.installed \
         LEFT JOIN LATERAL (SELECT r.value, r.read_on FROM meter_readings r \
            WHERE r.account_id = a.id AND r.meter_id = m.id AND r.status IN {usable} \
            ORDER BY r.read_on DESC, r.id DESC LIMIT 1) last ON true \
         LEFT JOIN LATERAL (SELECT round(sum(x.consumption) / nullif(sum(x.days), 0), 3) AS daily FROM ( \
            SELECT r.consumption, greatest(1, r.read_on - coalesce(q.read_on, m.installed_on - 1)) AS days \
            FROM meter_readings r LEFT JOIN meter_readings q ON q.id = r.previous_id \
            WHERE r.account_id = a.id AND r.status IN {usable} AND r.source <> 'estimated' \
              AND r.consumption IS NOT NULL ORDER BY r.read_on DESC, r.id DESC LIMIT 3) x) avg3 ON true \
         WHERE a.route_book_id = $1 AND a.status <> 'closed' ORDER BY a.route_seq, a.id",
        usable = super::readings::USABLE
    ))
    .bind::<BigInt, _>(book.id)
    .load(connection)?;
    Ok((book, rows))
}
