//! Excel export of the archive, streamed: rows are read in keyset pages and
//! written with rust_xlsxwriter's constant-memory mode, so a million
//! accounts need no more memory than a thousand. Personal data is masked;
//! every value is written as text or number, never as a formula.

use std::path::Path;

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Text},
};
use rust_xlsxwriter::{Format, Workbook};

use crate::error::{Error, Result};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Text)]
    id_number_masked: String,
    #[diesel(sql_type = Text)]
    phone_masked: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Text)]
    meter_no: String,
    #[diesel(sql_type = Text)]
    meter_type: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    opened_on: String,
}

const HEADERS: [&str; 10] = [
    "户号",
    "户名",
    "用户类型",
    "证件号码",
    "联系电话",
    "用气地址",
    "表号",
    "表类型",
    "状态",
    "开户日期",
];

fn label(kind: &str, value: &str) -> String {
    match (kind, value) {
        ("type", "residential") => "居民",
        ("type", "commercial") => "商业",
        ("type", "industrial") => "工业",
        ("type", "public_welfare") => "公福",
        ("meter", "mechanical") => "机械表",
        ("meter", "ic_card") => "IC卡表",
        ("meter", "iot") => "物联网表",
        ("status", "active") => "正常",
        ("status", "suspended") => "报停",
        ("status", "closed") => "销户",
        _ => value,
    }
    .to_owned()
}

/// Writes every account to `path`; returns the number of rows.
pub fn accounts(connection: &mut PgConnection, path: &Path) -> Result<u64> {
    let xlsx = |error: rust_xlsxwriter::XlsxError| Error::Internal(format!("export: {error}"));
    let mut workbook = Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(xlsx)?;
    sheet.set_name("用户档案").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    for (column, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, *header, &bold)
            .map_err(xlsx)?;
    }
    let mut after = 0_i64;
    let mut written = 0_u64;
    loop {
        let rows: Vec<Row> = sql_query(
            "SELECT a.id, a.account_no, c.name, c.customer_type, c.id_number_masked, c.phone_masked, \
                    p.address, coalesce(m.meter_no, '') AS meter_no, coalesce(m.meter_type, '') AS meter_type, \
                    a.status, a.opened_on::text AS opened_on \
             FROM accounts a JOIN customers c ON c.id = a.customer_id JOIN premises p ON p.id = a.premise_id \
             LEFT JOIN meters m ON m.account_id = a.id AND m.installed \
             WHERE a.id > $1 ORDER BY a.id LIMIT 10000",
        )
        .bind::<BigInt, _>(after)
        .load(connection)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.id;
        for row in rows {
            written += 1;
            let r = u32::try_from(written)
                .map_err(|_| Error::Internal("more rows than a sheet holds".into()))?;
            let values = [
                row.account_no,
                row.name,
                label("type", &row.customer_type),
                row.id_number_masked,
                row.phone_masked,
                row.address,
                row.meter_no,
                label("meter", &row.meter_type),
                label("status", &row.status),
                row.opened_on,
            ];
            for (column, value) in values.iter().enumerate() {
                // write_string never turns "=…" into a formula.
                sheet.write_string(r, column as u16, value).map_err(xlsx)?;
            }
        }
    }
    workbook.save(path).map_err(xlsx)?;
    Ok(written)
}
