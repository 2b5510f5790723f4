//! Realistic synthetic customers for the demo company and for benchmarks:
//! Chinese names, addresses by district / community / building / unit /
//! room, every meter type, some suspended and closed accounts.
//!
//! Deterministic: the same serial always gives the same customer.

use chrono::NaiveDate;
use diesel::prelude::*;
use gascis_common::{identity, masking};
use rust_decimal::Decimal;

use super::{
    Actor,
    input::{ContractData, CustomerData, MeterData, PremiseData, compose_address},
    lifecycle::{self, CustomerRef, OpenAccount},
};
use crate::{
    error::Result,
    pii::{Field, PiiKeys},
};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁",
    "任", "沈", "欧阳", "司马", "诸葛",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建国", "建华", "志强", "秀兰", "海燕", "文", "玉兰",
    "红", "婷", "雪", "宇", "浩然", "子涵", "欣怡", "梓轩", "思远", "晓东", "春梅",
];
const DISTRICTS: &[(&str, &[&str])] = &[
    (
        "浦东新区",
        &["阳光花园", "世纪公园小区", "金桥新村", "联洋花园", "锦绣苑"],
    ),
    ("徐汇区", &["田林新村", "康健小区", "漕河泾花苑", "龙华苑"]),
    (
        "闵行区",
        &["春申城", "古美小区", "莘庄新苑", "万科城市花园"],
    ),
    ("杨浦区", &["控江新村", "鞍山小区", "五角场花园"]),
    ("静安区", &["彭浦新村", "大宁家园", "静安豪景苑"]),
    ("宝山区", &["共康小区", "通河新村", "淞南苑"]),
];
const MAKERS: &[(&str, &str)] = &[
    ("金卡", "JK-G2.5"),
    ("先锋", "XF-G4"),
    ("新天", "XT-G2.5"),
    ("秦川", "QC-G1.6"),
];
const COMMERCIAL: &[&str] = &[
    "沙县小吃",
    "兰州拉面馆",
    "老王烧烤",
    "便民早餐店",
    "湘菜馆",
    "茶餐厅",
];

/// Everything needed to open one synthetic account.
pub struct Synthetic {
    pub customer: CustomerData,
    pub premise: PremiseData,
    pub meter: MeterData,
    pub contract: ContractData,
    pub household_size: Option<i32>,
    pub low_income: bool,
    pub opened_on: NaiveDate,
    /// 0 active, 1 suspended, 2 closed.
    pub fate: u8,
}

fn pick<T: Copy>(items: &[T], value: u64) -> T {
    items[(value % items.len() as u64) as usize]
}

/// A cheap deterministic mix of the serial (no RNG state to carry).
fn mix(serial: u64, salt: u64) -> u64 {
    let mut x =
        serial.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

pub fn resident_id(serial: u64) -> String {
    let year = 1940 + mix(serial, 1) % 60;
    let month = 1 + mix(serial, 2) % 12;
    let day = 1 + mix(serial, 3) % 28;
    let region = pick(
        &["310115", "310104", "310112", "310110", "310106", "310113"],
        mix(serial, 4),
    );
    let first17 = format!("{region}{year:04}{month:02}{day:02}{:03}", serial % 1000);
    let check = identity::check_digit(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub fn mobile(serial: u64) -> String {
    let prefix = pick(
        &["138", "139", "136", "158", "186", "177", "135"],
        mix(serial, 5),
    );
    format!("{prefix}{:08}", serial % 100_000_000)
}

pub fn synthetic(serial: u64) -> Synthetic {
    let commercial = mix(serial, 6).is_multiple_of(20);
    let name = if commercial {
        format!("{}{}", pick(COMMERCIAL, mix(serial, 7)), serial % 1000)
    } else {
        format!(
            "{}{}",
            pick(SURNAMES, mix(serial, 8)),
            pick(GIVEN, mix(serial, 9))
        )
    };
    let (district, communities) = pick(DISTRICTS, mix(serial, 10));
    let community = pick(communities, mix(serial, 11));
    let building = (1 + serial / 96 % 40).to_string();
    let unit = (1 + serial / 24 % 4).to_string();
    let room = format!(
        "{}0{}",
        1 + serial / 4 % 6 + serial % 18 / 6 * 6,
        1 + serial % 4
    );
    let meter_type = match mix(serial, 12) % 20 {
        0..=11 => "mechanical",
        12..=16 => "ic_card",
        _ => "iot",
    };
    let (maker, model) = pick(MAKERS, mix(serial, 13));
    let opened_on = NaiveDate::from_ymd_opt(2010, 1, 1)
        .unwrap_or_default()
        .checked_add_days(chrono::Days::new(mix(serial, 14) % 5000))
        .unwrap_or_default();
    Synthetic {
        customer: CustomerData {
            party_kind: if commercial { "organisation" } else { "person" },
            customer_type: if commercial {
                "commercial"
            } else {
                "residential"
            },
            name,
            id_type: if commercial { "none" } else { "resident_id" },
            id_number: (!commercial).then(|| resident_id(serial)),
            phone: Some(mobile(serial)),
            phone2: (mix(serial, 15).is_multiple_of(5))
                .then(|| format!("021-{}", 50_000_000 + serial % 40_000_000)),
        },
        premise: PremiseData {
            address: compose_address(district, community, &building, &unit, &room),
            district: district.to_owned(),
            community: community.to_owned(),
            building,
            unit,
            room,
            latitude: Some(Decimal::new(
                31_150_000 + (mix(serial, 16) % 200_000) as i64,
                6,
            )),
            longitude: Some(Decimal::new(
                121_350_000 + (mix(serial, 17) % 300_000) as i64,
                6,
            )),
        },
        meter: MeterData {
            meter_no: format!("{}{serial:09}", &model[..2]),
            meter_type,
            maker: maker.to_owned(),
            model: model.to_owned(),
            size: if commercial {
                "G6".to_owned()
            } else {
                "G2.5".to_owned()
            },
            digits: 5,
            initial_reading: Decimal::new((mix(serial, 18) % 5000) as i64, 1),
            card_no: (meter_type == "ic_card").then(|| format!("IC{serial:010}")),
        },
        contract: ContractData {
            contract_no: None,
            signed_on: Some(opened_on),
            gas_purpose: if commercial {
                "commercial"
            } else if mix(serial, 19).is_multiple_of(8) {
                "cooking_and_heating"
            } else {
                "cooking"
            },
            price_policy: if commercial {
                "commercial"
            } else {
                "residential"
            }
            .to_owned(),
        },
        household_size: (!commercial).then(|| 1 + (mix(serial, 20) % 6) as i32),
        low_income: !commercial && mix(serial, 21).is_multiple_of(50),
        opened_on,
        fate: match mix(serial, 22) % 40 {
            0 => 2,
            1 | 2 => 1,
            _ => 0,
        },
    }
}

/// Opens `count` demo accounts through the real lifecycle (with change
/// records), suspends and closes some, and gives a few a history.
pub fn seed_demo(connection: &mut PgConnection, keys: &PiiKeys, count: u64) -> Result<u64> {
    let actor = Actor {
        user_id: None,
        username: "demo".to_owned(),
    };
    let mut opened = 0;
    for serial in 1..=count {
        let data = synthetic(serial);
        let account_id = lifecycle::open_account(
            connection,
            keys,
            &actor,
            &OpenAccount {
                customer: CustomerRef::New(data.customer.clone()),
                premise: data.premise.clone(),
                meter: data.meter.clone(),
                contract: data.contract.clone(),
                household_size: data.household_size,
                low_income: data.low_income,
                opened_on: Some(data.opened_on),
                idempotency_key: Some(format!("demo-{serial}")),
            },
        )?;
        opened += 1;
        let reading = data.meter.initial_reading + Decimal::from(100 + serial % 900);
        match data.fate {
            1 => lifecycle::set_suspended(connection, &actor, account_id, 1, true, "用户申请报停")?,
            2 => lifecycle::close(
                connection,
                &actor,
                &lifecycle::Close {
                    account_id,
                    expected_version: 1,
                    final_reading: reading,
                    closed_on: None,
                    reason: "房屋拆迁".to_owned(),
                },
            )?,
            _ if serial.is_multiple_of(97) => lifecycle::replace_meter(
                connection,
                &actor,
                &lifecycle::Replacement {
                    account_id,
                    expected_version: 1,
                    old_final_reading: reading,
                    new_meter: MeterData {
                        meter_no: format!("NB{serial:09}"),
                        meter_type: "iot",
                        maker: "金卡".to_owned(),
                        model: "NB-G2.5".to_owned(),
                        size: "G2.5".to_owned(),
                        digits: 6,
                        initial_reading: Decimal::ZERO,
                        card_no: None,
                    },
                    replaced_on: None,
                    reason: "机械表改物联网表".to_owned(),
                },
            )?,
            _ => {}
        }
    }
    Ok(opened)
}

/// Writes `count` accounts with plain multi-row INSERTs, for benchmarks:
/// the same rows the lifecycle would write, minus change records.
pub fn bulk_seed(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    first: u64,
    count: u64,
) -> Result<()> {
    const BATCH: u64 = 2000;
    let mut start = first;
    let end = first + count;
    while start < end {
        let stop = (start + BATCH).min(end);
        connection.transaction(|connection| -> Result<()> {
            let rows: Vec<(u64, Synthetic)> = (start..stop).map(|s| (s, synthetic(s))).collect();
            // Customers (ids = serial, so the other tables can refer to them).
            let mut sql = String::from(
                "INSERT INTO customers (id, party_kind, customer_type, name, id_type, id_number_enc, id_number_hash, id_number_masked, phone_enc, phone_hash, phone_masked) VALUES ",
            );
            let mut first_row = true;
            for (serial, data) in &rows {
                if !first_row {
                    sql.push(',');
                }
                first_row = false;
                let c = &data.customer;
                let hexed = |bytes: Vec<u8>| format!("'\\x{}'::bytea", hex::encode(bytes));
                let (id_enc, id_hash, id_masked) = match &c.id_number {
                    Some(id) => (
                        hexed(keys.encrypt(Field::IdNumber, id)),
                        hexed(keys.lookup_hash(Field::IdNumber, id)),
                        masking::mask_id_number(id),
                    ),
                    None => ("NULL".to_owned(), "NULL".to_owned(), String::new()),
                };
                let phone = c.phone.clone().unwrap_or_default();
                sql.push_str(&format!(
                    "({serial},'{}','{}','{}','{}',{id_enc},{id_hash},'{id_masked}',{},{},'{}')",
                    c.party_kind,
                    c.customer_type,
                    c.name.replace('\'', "''"),
                    c.id_type,
                    hexed(keys.encrypt(Field::Phone, &phone)),
                    hexed(keys.lookup_hash(Field::Phone, &phone)),
                    masking::mask_phone(&phone),
                ));
            }
            diesel::sql_query(sql).execute(connection)?;
            let mut premises = String::from("INSERT INTO premises (id, district, community, building, unit, room, address) VALUES ");
            let mut accounts = String::from("INSERT INTO accounts (id, account_no, customer_id, premise_id, status, opened_on, closed_on) VALUES ");
            let mut meters = String::from("INSERT INTO meters (id, meter_no, meter_type, maker, model, size, digits, installed_on, initial_reading, account_id, installed) VALUES ");
            for (index, (serial, data)) in rows.iter().enumerate() {
                let comma = if index == 0 { "" } else { "," };
                let p = &data.premise;
                premises.push_str(&format!(
                    "{comma}({serial},'{}','{}','{}','{}','{}','{}')",
                    p.district, p.community, p.building, p.unit, p.room, p.address
                ));
                let (status, closed) = match data.fate {
                    1 => ("suspended", "NULL".to_owned()),
                    2 => ("closed", format!("'{}'", data.opened_on)),
                    _ => ("active", "NULL".to_owned()),
                };
                accounts.push_str(&format!(
                    "{comma}({serial},'{}',{serial},{serial},'{status}','{}',{closed})",
                    2_000_000_000 + serial,
                    data.opened_on
                ));
                let m = &data.meter;
                meters.push_str(&format!(
                    "{comma}({serial},'{}','{}','{}','{}','{}',{},'{}',{},{serial},{})",
                    m.meter_no, m.meter_type, m.maker, m.model, m.size, m.digits, data.opened_on, m.initial_reading,
                    data.fate != 2
                ));
            }
            diesel::sql_query(premises).execute(connection)?;
            diesel::sql_query(accounts).execute(connection)?;
            diesel::sql_query(meters).execute(connection)?;
            let card_rows: Vec<String> = rows
                .iter()
                .filter_map(|(serial, data)| {
                    data.meter.card_no.as_ref().map(|card| format!("('{card}',{serial})"))
                })
                .collect();
            if !card_rows.is_empty() {
                diesel::sql_query(format!(
                    "INSERT INTO ic_cards (card_no, account_id) VALUES {}",
                    card_rows.join(",")
                ))
                .execute(connection)?;
            }
            Ok(())
        })?;
        start = stop;
    }
    // Keep the sequences ahead of the explicit ids.
    for table in ["customers", "premises", "accounts", "meters"] {
        diesel::sql_query(format!(
            "SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
        ))
        .execute(connection)?;
    }
    Ok(())
}
