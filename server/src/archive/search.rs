//! Account search. Each kind is one indexed query (see the archive
//! migration): b-tree for numbers and prefixes, trigram GIN for name and
//! address fragments, keyed hashes for phones and identity numbers.

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bytea, Text},
};
use gascis_common::{identity::ResidentId, phone, proto::v1 as pb};

use super::detail::{customer_type_to_wire, meter_type_to_wire, status_to_wire};
use crate::{
    error::{Error, Result},
    pii::{Field, PiiKeys},
};

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

#[derive(Debug, QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    customer_id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    customer_name: String,
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Text)]
    meter_no: String,
    #[diesel(sql_type = Text)]
    meter_type: String,
    #[diesel(sql_type = Text)]
    phone_masked: String,
}

const SELECT: &str = "SELECT a.id AS account_id, c.id AS customer_id, a.account_no, c.name AS customer_name, \
     c.customer_type, a.status, p.address, coalesce(m.meter_no, '') AS meter_no, \
     coalesce(m.meter_type, '') AS meter_type, c.phone_masked \
     FROM accounts a JOIN customers c ON c.id = a.customer_id \
     JOIN premises p ON p.id = a.premise_id \
     LEFT JOIN meters m ON m.account_id = a.id AND m.installed ";

/// `%` and `_` typed by a user are literal characters, not wildcards.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub struct Query<'a> {
    pub text: &'a str,
    pub kind: pb::SearchKind,
    pub page_size: i64,
    pub offset: i64,
    pub include_closed: bool,
}

pub struct Page {
    pub results: Vec<pb::AccountSummary>,
    pub next_offset: Option<i64>,
    pub searched_as: pb::SearchKind,
}

/// The kinds to try, in order, for a query typed without a kind.
fn guesses(text: &str) -> Vec<pb::SearchKind> {
    use pb::SearchKind as K;
    let digits_only = text.chars().all(|c| c.is_ascii_digit());
    let ascii = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if digits_only {
        let mut kinds = Vec::new();
        if text.len() == 11 && text.starts_with('1') {
            kinds.push(K::Phone);
        }
        if text.len() == 15 || text.len() == 18 {
            kinds.push(K::IdNumber);
        }
        kinds.extend([K::AccountNo, K::MeterNo, K::CardNo]);
        kinds
    } else if ascii {
        let mut kinds = Vec::new();
        if text.len() == 18 {
            kinds.push(K::IdNumber);
        }
        kinds.extend([K::MeterNo, K::CardNo, K::AccountNo, K::Name]);
        kinds
    } else if phone::normalise(text).is_ok() {
        vec![K::Phone]
    } else {
        vec![K::Name, K::Address]
    }
}

pub fn search(connection: &mut PgConnection, keys: &PiiKeys, query: &Query<'_>) -> Result<Page> {
    let text = query.text.trim();
    if text.is_empty() {
        return Err(Error::invalid("query", "type something to search for"));
    }
    if text.chars().count() > 100 {
        return Err(Error::invalid("query", "is longer than 100 characters"));
    }
    let kinds = if query.kind == pb::SearchKind::Auto {
        guesses(text)
    } else {
        vec![query.kind]
    };
    let mut first_guess = None;
    for kind in kinds {
        first_guess.get_or_insert(kind);
        let found = run(connection, keys, text, kind, query)?;
        if let Some(found) = found
            && (!found.0.is_empty() || query.kind != pb::SearchKind::Auto)
        {
            return Ok(page(found, kind, query));
        }
    }
    Ok(Page {
        results: Vec::new(),
        next_offset: None,
        searched_as: first_guess.unwrap_or(pb::SearchKind::Auto),
    })
}

fn page((hits, more): (Vec<Hit>, bool), kind: pb::SearchKind, query: &Query<'_>) -> Page {
    Page {
        results: hits
            .into_iter()
            .map(|hit| pb::AccountSummary {
                account_id: hit.account_id,
                account_no: hit.account_no,
                customer_name: hit.customer_name,
                customer_type: customer_type_to_wire(&hit.customer_type) as i32,
                status: status_to_wire(&hit.status) as i32,
                address: hit.address,
                meter_no: hit.meter_no,
                meter_type: meter_type_to_wire(&hit.meter_type) as i32,
                phone_masked: hit.phone_masked,
                customer_id: hit.customer_id,
            })
            .collect(),
        next_offset: more.then_some(query.offset + query.page_size),
        searched_as: kind,
    }
}

/// One kind of search: a page of rows and whether more follow; `None` when
/// the text cannot be of that kind (a malformed phone number in auto mode).
fn run(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    text: &str,
    kind: pb::SearchKind,
    query: &Query<'_>,
) -> Result<Option<(Vec<Hit>, bool)>> {
    use pb::SearchKind as K;
    let open = if query.include_closed {
        ""
    } else {
        " AND a.status <> 'closed'"
    };
    let limit = query.page_size + 1;
    let offset = query.offset;
    let upper = text.to_uppercase();
    let prefix = format!("{}%", escape_like(&upper));
    let mut hits: Vec<Hit> = match kind {
        K::AccountNo => sql_query(format!(
            "{SELECT} WHERE (a.account_no = $1 OR a.account_no LIKE $2){open} \
             ORDER BY (a.account_no = $1) DESC, a.account_no LIMIT $3 OFFSET $4"
        ))
        .bind::<Text, _>(&upper)
        .bind::<Text, _>(&prefix)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(connection)?,
        K::MeterNo => sql_query(format!(
            "{SELECT} WHERE a.id IN (SELECT account_id FROM meters \
             WHERE meter_no = $1 OR meter_no LIKE $2){open} \
             ORDER BY (m.meter_no = $1) DESC, a.account_no LIMIT $3 OFFSET $4"
        ))
        .bind::<Text, _>(&upper)
        .bind::<Text, _>(&prefix)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(connection)?,
        K::CardNo => sql_query(format!(
            "{SELECT} WHERE a.id IN (SELECT account_id FROM ic_cards WHERE card_no = $1){open} \
             ORDER BY a.account_no LIMIT $2 OFFSET $3"
        ))
        .bind::<Text, _>(&upper)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(connection)?,
        K::Phone => {
            let Ok(normalised) = phone::normalise(text) else {
                return if query.kind == K::Auto {
                    Ok(None)
                } else {
                    Err(Error::invalid("query", "is not a phone number"))
                };
            };
            let hash = keys.lookup_hash(Field::Phone, &normalised);
            sql_query(format!(
                "{SELECT} WHERE (c.phone_hash = $1 OR c.phone2_hash = $1){open} \
                 ORDER BY a.account_no LIMIT $2 OFFSET $3"
            ))
            .bind::<Bytea, _>(&hash)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load(connection)?
        }
        K::IdNumber => {
            // Other document types are stored upper-cased as typed.
            let normalised = ResidentId::parse(text)
                .map(|id| id.as_str().to_owned())
                .unwrap_or_else(|_| upper.replace(' ', ""));
            let hash = keys.lookup_hash(Field::IdNumber, &normalised);
            sql_query(format!(
                "{SELECT} WHERE c.id_number_hash = $1{open} ORDER BY a.account_no LIMIT $2 OFFSET $3"
            ))
            .bind::<Bytea, _>(&hash)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load(connection)?
        }
        K::Name => return name_search(connection, text, open, query.page_size, offset).map(Some),
        K::Address => {
            return address_search(connection, text, open, query.page_size, offset).map(Some);
        }
        K::Auto => Vec::new(),
    };
    // One row more than asked tells whether a next page exists.
    let more = hits.len() as i64 > query.page_size;
    hits.truncate(usize::try_from(query.page_size).unwrap_or(0));
    Ok(Some((hits, more)))
}

/// Customers or premises in display order, one page of them (plus one to
/// tell whether more follow), then their accounts. Two steps keep the
/// joins off the rows that are not shown.
#[allow(clippy::too_many_arguments)]
fn by_ids(
    connection: &mut PgConnection,
    ids_sql: &str,
    pattern: &str,
    exact: &str,
    open: &str,
    page_size: i64,
    offset: i64,
    join_column: &str,
) -> Result<IdPage> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let mut ids: Vec<i64> = sql_query(ids_sql)
        .bind::<Text, _>(pattern)
        .bind::<Text, _>(exact)
        .bind::<BigInt, _>(page_size + 1)
        .bind::<BigInt, _>(offset)
        .load::<Id>(connection)?
        .into_iter()
        .map(|row| row.id)
        .collect();
    let more = ids.len() as i64 > page_size;
    ids.truncate(usize::try_from(page_size).unwrap_or(0));
    if ids.is_empty() {
        return Ok(IdPage {
            hits: Vec::new(),
            more,
            shown: 0,
        });
    }
    let hits: Vec<Hit> = sql_query(format!(
        "{SELECT} WHERE {join_column} = ANY($1){open} \
         ORDER BY array_position($1, {join_column}), a.account_no"
    ))
    .bind::<diesel::sql_types::Array<BigInt>, _>(&ids)
    .load(connection)?;
    // A page holds `page_size` customers (or premises); one with several
    // accounts shows each of them.
    Ok(IdPage {
        hits,
        more,
        shown: ids.len() as i64,
    })
}

/// A page of rows for a page of customers or premises.
struct IdPage {
    hits: Vec<Hit>,
    more: bool,
    /// How many customers (or premises) the rows are for.
    shown: i64,
}

/// Customers with an account that is shown.
fn open_account_exists(open: &str, column: &str) -> String {
    format!("EXISTS (SELECT 1 FROM accounts a WHERE a.{column} = x.id{open})")
}

/// Short queries (surname, or surname and one character) match name
/// prefixes in name order, walking the name index; longer ones match
/// anywhere in the name (trigram index), exact names first, and when
/// nothing contains them, similar names (typos, 王建军 for 王建国).
fn name_search(
    connection: &mut PgConnection,
    text: &str,
    open: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Hit>, bool)> {
    let exists = open_account_exists(open, "customer_id");
    if text.chars().count() < 3 {
        let sql = format!(
            "SELECT x.id FROM customers x WHERE (x.name COLLATE \"C\") LIKE $1 AND $2 = $2 AND {exists} \
             ORDER BY (x.name COLLATE \"C\"), x.id LIMIT $3 OFFSET $4"
        );
        let page = by_ids(
            connection,
            &sql,
            &format!("{}%", escape_like(text)),
            text,
            open,
            limit,
            offset,
            "c.id",
        )?;
        return Ok((page.hits, page.more));
    }
    // Names that start with the query come first, straight from the name
    // index (exact names lead: they sort before their extensions); names
    // that only contain it follow, from the trigram index.
    let prefix = format!("{}%", escape_like(text));
    let prefix_sql = format!(
        "SELECT x.id FROM customers x WHERE (x.name COLLATE \"C\") LIKE $1 AND $2 = $2 AND {exists} \
         ORDER BY (x.name COLLATE \"C\"), x.id LIMIT $3 OFFSET $4"
    );
    let first = by_ids(
        connection,
        &prefix_sql,
        &prefix,
        text,
        open,
        limit,
        offset,
        "c.id",
    )?;
    if first.more {
        return Ok((first.hits, true));
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let prefix_total = sql_query(format!(
        "SELECT count(*) AS count FROM customers x WHERE (x.name COLLATE \"C\") LIKE $1 AND {exists}"
    ))
    .bind::<Text, _>(&prefix)
    .get_result::<Count>(connection)?
    .count;
    let room = limit - first.shown;
    let contains_sql = format!(
        "SELECT x.id FROM customers x WHERE x.name LIKE $1 AND (x.name COLLATE \"C\") NOT LIKE $2 AND {exists} \
         ORDER BY (x.name COLLATE \"C\"), x.id LIMIT $3 OFFSET $4"
    );
    let rest = by_ids(
        connection,
        &contains_sql,
        &format!("%{}%", escape_like(text)),
        &prefix,
        open,
        room.max(0),
        (offset - prefix_total).max(0),
        "c.id",
    )?;
    let mut hits = first.hits;
    hits.extend(rest.hits);
    if !hits.is_empty() || offset > 0 {
        return Ok((hits, rest.more));
    }
    let sql = format!(
        "SELECT x.id FROM customers x WHERE x.name % $2 AND $1 = $1 AND {exists} \
         ORDER BY similarity(x.name, $2) DESC, x.id LIMIT $3 OFFSET $4"
    );
    let page = by_ids(connection, &sql, "", text, open, limit, offset, "c.id")?;
    Ok((page.hits, page.more))
}

/// Premises whose address contains the fragment, in address order. The
/// trigram index finds the (few hundred at most) matches and they are
/// sorted; walking an address-ordered index instead would read far too many
/// rows for rare fragments.
fn address_search(
    connection: &mut PgConnection,
    text: &str,
    open: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Hit>, bool)> {
    let exists = open_account_exists(open, "premise_id");
    let sql = format!(
        "SELECT x.id FROM premises x WHERE x.address LIKE $1 AND $2 = $2 AND {exists} \
         ORDER BY x.address, x.id LIMIT $3 OFFSET $4"
    );
    let page = by_ids(
        connection,
        &sql,
        &format!("%{}%", escape_like(text)),
        text,
        open,
        limit,
        offset,
        "p.id",
    )?;
    Ok((page.hits, page.more))
}
