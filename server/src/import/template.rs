//! Downloadable templates: one sheet with the Chinese headers of a kind,
//! example rows, and drop-down lists for the enumerations.

use std::path::Path;

use gascis_common::import_fields::ImportKind;
use rust_xlsxwriter::{DataValidation, Format, Workbook, XlsxError};

pub fn write(path: &Path, kind: ImportKind) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("导入模板")?;
    let header = Format::new().set_bold();
    let required = Format::new()
        .set_bold()
        .set_font_color(rust_xlsxwriter::Color::RGB(0xC00000));
    let text = Format::new().set_num_format("@");
    let fields = kind.fields();
    for (column, field) in fields.iter().enumerate() {
        let column = column as u16;
        let label = if field.required {
            format!("*{}", field.label_zh)
        } else {
            field.label_zh.to_owned()
        };
        sheet.write_string_with_format(
            0,
            column,
            &label,
            if field.required { &required } else { &header },
        )?;
        // Number-like identifiers stay text, so Excel keeps every digit.
        sheet.set_column_format(column, &text)?;
        sheet.set_column_width(column, 14)?;
        let choices: Option<&[&str]> = match field.key {
            "customer_type" => Some(&["居民", "商业", "工业", "公福"]),
            "meter_type" => Some(&["机械表", "IC卡表", "物联网表"]),
            "channel" => Some(&[
                "现金",
                "银行卡",
                "微信",
                "支付宝",
                "银行代收",
                "网上缴费",
                "其他",
            ]),
            _ => None,
        };
        if let Some(choices) = choices {
            let validation = DataValidation::new()
                .allow_list_strings(choices)?
                .set_error_title("值无效")?
                .set_error_message(format!("请选择：{}", choices.join("/")))?;
            sheet.add_data_validation(1, column, 100_000, column, &validation)?;
        }
    }
    let examples: &[&[&str]] = match kind {
        ImportKind::Accounts => &[
            &[
                "1000000001",
                "王芳",
                "居民",
                "11010519491231002X",
                "13812345678",
                "浦东新区阳光花园1栋2单元301室",
                "浦东新区",
                "阳光花园",
                "1",
                "2",
                "301",
                "JK000001",
                "机械表",
                "0",
                "",
                "3",
                "2023-01-05",
                "0.00",
                "120.50",
            ],
            &[
                "1000000002",
                "兰州拉面馆",
                "商业",
                "",
                "021-62345678",
                "徐汇区田林路100号",
                "徐汇区",
                "",
                "",
                "",
                "",
                "IC000002",
                "IC卡表",
                "12.5",
                "IC0000000002",
                "",
                "2023-02-01",
                "300.00",
                "0.00",
            ],
        ],
        ImportKind::Readings => &[&["1000000001", "JK000001", "2023-03-01", "132.5", "刘强"]],
        ImportKind::Payments => &[&[
            "1000000001",
            "2023-03-05",
            "120.50",
            "微信",
            "R20230305001",
            "刘敏",
        ]],
    };
    for (row, values) in examples.iter().enumerate() {
        for (column, value) in values.iter().enumerate().take(fields.len()) {
            sheet.write_string((row + 1) as u32, column as u16, *value)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save(path)
}
