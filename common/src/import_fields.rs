//! The canonical fields of each kind of legacy-ledger import, the header
//! texts they are known by (Chinese and English synonyms), and automatic
//! location of the header row below title rows.

use crate::cleaning::half_width;

/// What a legacy ledger holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// One row per account: customer, premise, account, meter, balances.
    Accounts,
    /// Meter readings history.
    Readings,
    /// Payments history.
    Payments,
}

/// One canonical field of an import kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Stable key, used in mapping files and error reports.
    pub key: &'static str,
    /// Header of the template, zh-CN.
    pub label_zh: &'static str,
    pub required: bool,
    /// Header texts that mean this field (compared after normalising).
    pub synonyms: &'static [&'static str],
}

const fn field(
    key: &'static str,
    label_zh: &'static str,
    required: bool,
    synonyms: &'static [&'static str],
) -> FieldSpec {
    FieldSpec {
        key,
        label_zh,
        required,
        synonyms,
    }
}

const ACCOUNT_NO: FieldSpec = field(
    "account_no",
    "户号",
    true,
    &[
        "户号",
        "用户编号",
        "客户编号",
        "账户号",
        "用户号",
        "账号",
        "account no",
        "account_no",
        "account number",
    ],
);

pub const ACCOUNT_FIELDS: &[FieldSpec] = &[
    ACCOUNT_NO,
    field(
        "customer_name",
        "户名",
        true,
        &[
            "户名",
            "用户名",
            "客户名称",
            "用户名称",
            "姓名",
            "客户姓名",
            "customer name",
            "name",
        ],
    ),
    field(
        "customer_type",
        "用户类型",
        false,
        &[
            "用户类型",
            "用气性质",
            "客户类型",
            "用户性质",
            "customer type",
        ],
    ),
    field(
        "id_number",
        "证件号码",
        false,
        &[
            "证件号码",
            "身份证号",
            "身份证号码",
            "证件号",
            "身份证",
            "id number",
            "id_number",
        ],
    ),
    field(
        "phone",
        "联系电话",
        true,
        &[
            "联系电话",
            "手机",
            "电话",
            "手机号",
            "手机号码",
            "联系方式",
            "phone",
            "mobile",
        ],
    ),
    field(
        "address",
        "用气地址",
        true,
        &[
            "地址",
            "用气地址",
            "安装地址",
            "详细地址",
            "住址",
            "address",
        ],
    ),
    field(
        "district",
        "区县",
        false,
        &["区县", "区", "行政区", "district"],
    ),
    field(
        "community",
        "小区",
        false,
        &["小区", "小区名称", "community"],
    ),
    field(
        "building",
        "楼栋",
        false,
        &["楼栋", "栋", "楼号", "building"],
    ),
    field("unit", "单元", false, &["单元", "单元号", "unit"]),
    field("room", "室", false, &["室", "房号", "门牌号", "room"]),
    field(
        "meter_no",
        "表号",
        true,
        &[
            "表号",
            "表具编号",
            "表编号",
            "燃气表号",
            "meter no",
            "meter_no",
        ],
    ),
    field(
        "meter_type",
        "表类型",
        true,
        &["表类型", "表具类型", "表型", "meter type"],
    ),
    field(
        "initial_reading",
        "初始读数",
        false,
        &["底数", "起始读数", "初始读数", "表底数", "initial reading"],
    ),
    field("card_no", "卡号", false, &["卡号", "ic卡号", "card no"]),
    field(
        "household_size",
        "人口数",
        false,
        &["人口", "人口数", "家庭人口", "household size"],
    ),
    field(
        "opened_on",
        "开户日期",
        false,
        &["开户日期", "开户时间", "立户日期", "opened on"],
    ),
    field(
        "balance",
        "余额",
        false,
        &["余额", "预存款", "预存", "账户余额", "balance"],
    ),
    field(
        "arrears",
        "欠费",
        false,
        &["欠费", "欠费金额", "欠款", "arrears"],
    ),
];

pub const READING_FIELDS: &[FieldSpec] = &[
    ACCOUNT_NO,
    field("meter_no", "表号", false, &["表号", "表具编号", "meter no"]),
    field(
        "read_on",
        "抄表日期",
        true,
        &["抄表日期", "抄表时间", "日期", "read on", "reading date"],
    ),
    field(
        "reading",
        "本次读数",
        true,
        &[
            "本次读数",
            "读数",
            "抄见读数",
            "本月读数",
            "止码",
            "reading",
        ],
    ),
    field("reader", "抄表员", false, &["抄表员", "抄表人", "reader"]),
];

pub const PAYMENT_FIELDS: &[FieldSpec] = &[
    ACCOUNT_NO,
    field(
        "paid_on",
        "缴费日期",
        true,
        &["缴费日期", "收费日期", "缴费时间", "日期", "paid on"],
    ),
    field(
        "amount",
        "金额",
        true,
        &["金额", "缴费金额", "实收金额", "收费金额", "amount"],
    ),
    field(
        "channel",
        "缴费方式",
        false,
        &[
            "缴费方式",
            "收费方式",
            "支付方式",
            "付款方式",
            "缴费渠道",
            "渠道",
            "channel",
        ],
    ),
    field(
        "receipt_no",
        "票据号",
        false,
        &[
            "票据号",
            "收据号",
            "收据编号",
            "票据编号",
            "流水号",
            "交易流水号",
            "单据号",
            "receipt no",
            "serial no",
        ],
    ),
    field(
        "cashier",
        "收费员",
        false,
        &["收费员", "收款人", "收款员", "操作员", "cashier"],
    ),
];

impl ImportKind {
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            ImportKind::Accounts => ACCOUNT_FIELDS,
            ImportKind::Readings => READING_FIELDS,
            ImportKind::Payments => PAYMENT_FIELDS,
        }
    }
}

/// Header text as compared: half-width, lower case, without spaces, marks
/// of required columns (*, ※) and bracketed notes ("电话（必填）").
pub fn normalise_header(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0_u32;
    for c in half_width(text).to_lowercase().chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = depth.saturating_sub(1),
            ' ' | '*' | '※' | ':' | '：' | '\n' | '\t' => {}
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The field a header means, if any.
pub fn match_header(kind: ImportKind, header: &str) -> Option<&'static FieldSpec> {
    let key = normalise_header(header);
    if key.is_empty() {
        return None;
    }
    kind.fields().iter().find(|spec| {
        spec.key == key
            || spec
                .synonyms
                .iter()
                .any(|synonym| normalise_header(synonym) == key)
    })
}

/// Where the header row is and which column holds which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMatch {
    /// Zero-based row of the header.
    pub row: usize,
    /// (column, field key) for every recognised column.
    pub columns: Vec<(usize, &'static str)>,
    /// Required fields with no column.
    pub missing: Vec<&'static str>,
}

/// The row among the first `rows` (title rows, merged cells and blank
/// lines come before the header in real ledgers) whose cells name the most
/// fields; at least two must match.
pub fn detect_header(kind: ImportKind, rows: &[Vec<String>]) -> Option<HeaderMatch> {
    let mut best: Option<HeaderMatch> = None;
    for (index, row) in rows.iter().enumerate().take(50) {
        let mut columns: Vec<(usize, &'static str)> = Vec::new();
        for (column, cell) in row.iter().enumerate() {
            if let Some(spec) = match_header(kind, cell)
                && !columns.iter().any(|(_, key)| *key == spec.key)
            {
                columns.push((column, spec.key));
            }
        }
        let better = best
            .as_ref()
            .is_none_or(|b| columns.len() > b.columns.len());
        if columns.len() >= 2 && better {
            let missing = kind
                .fields()
                .iter()
                .filter(|spec| spec.required && !columns.iter().any(|(_, key)| *key == spec.key))
                .map(|spec| spec.key)
                .collect();
            best = Some(HeaderMatch {
                row: index,
                columns,
                missing,
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn synonyms_map_to_fields() {
        for (header, key) in [
            ("用户编号", "account_no"),
            ("客户名称", "customer_name"),
            ("身份证号", "id_number"),
            ("手机", "phone"),
            ("安装地址", "address"),
            ("表具编号", "meter_no"),
            ("表具类型", "meter_type"),
            ("底数", "initial_reading"),
            ("预存款", "balance"),
            ("欠费金额", "arrears"),
            ("人口数", "household_size"),
            ("用气性质", "customer_type"),
            ("开户日期", "opened_on"),
            ("＊联系电话（必填）", "phone"),
            ("Account No", "account_no"),
        ] {
            assert_eq!(
                match_header(ImportKind::Accounts, header).map(|s| s.key),
                Some(key),
                "{header}"
            );
        }
        assert_eq!(match_header(ImportKind::Accounts, "备注"), None);
    }

    #[test]
    fn the_header_is_found_below_title_rows() {
        let rows = vec![
            row(&["某某燃气公司用户台账", "", "", ""]),
            row(&["导出日期：2023年1月5日", "", "", ""]),
            row(&[]),
            row(&[
                "序号",
                "户号",
                "户名",
                "联系电话",
                "用气地址",
                "表号",
                "表类型",
                "备注",
            ]),
            row(&[
                "1",
                "1000001",
                "王芳",
                "13812345678",
                "阳光花园1栋",
                "JK001",
                "机械表",
                "",
            ]),
        ];
        let found = detect_header(ImportKind::Accounts, &rows);
        assert_eq!(found.as_ref().map(|h| h.row), Some(3));
        assert_eq!(
            found.as_ref().map(|h| h.columns.clone()),
            Some(vec![
                (1, "account_no"),
                (2, "customer_name"),
                (3, "phone"),
                (4, "address"),
                (5, "meter_no"),
                (6, "meter_type")
            ])
        );
        assert_eq!(found.map(|h| h.missing), Some(vec![]));
    }

    #[test]
    fn missing_required_columns_are_named() {
        let rows = vec![row(&["户号", "户名"])];
        let found = detect_header(ImportKind::Accounts, &rows);
        assert_eq!(
            found.map(|h| h.missing),
            Some(vec!["phone", "address", "meter_no", "meter_type"])
        );
        assert_eq!(
            detect_header(ImportKind::Accounts, &[row(&["a", "b"])]),
            None
        );
    }
}
