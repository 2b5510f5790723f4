//! What a dry run or an import reported, as the screen shows it: the
//! counts, the rows' outcomes, the errors with their fields named, and the
//! reconciliation certificate. [`ReportView`] is built by a pure function
//! the tests check; the view functions only lay it out.

use gascis_common::proto::v1 as pb;
use iced::widget::{column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::i18n::archive::money;
use crate::i18n::import::{self, Key};
use crate::i18n::{Language, tr};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

use super::Message;

/// How many errors the page lists; the error file has them all.
pub const ERRORS_SHOWN: usize = 200;

/// One count of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub label: Key,
    pub value: i32,
    pub tone: Tone,
}

/// One problem of one row, in the user's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    pub row: i32,
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// What happens (or happened) to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    pub row: i32,
    pub account_no: String,
    pub outcome: String,
    pub tone: Tone,
    /// One difference a line.
    pub differences: String,
}

/// One line of the reconciliation certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateLine {
    pub item: Key,
    pub file: String,
    pub database: String,
    pub agrees: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    pub counts: Vec<Count>,
    pub errors: Vec<ErrorLine>,
    /// Errors beyond [`ERRORS_SHOWN`].
    pub hidden_errors: usize,
    pub preview: Vec<PreviewLine>,
    /// Rows that are (or would be) imported: new, updated or unchanged.
    pub importable: i64,
    /// The file's sums a dry run announces: prepayments and arrears of an
    /// accounts ledger, the consumption of a readings history, the amount
    /// of a payments history.
    pub facts: Vec<(Key, String)>,
    pub certificate: Vec<CertificateLine>,
    pub balanced: bool,
    /// What a balanced certificate proves, for the kind.
    pub balanced_note: Key,
}

/// The report of an import of `kind` in the user's language; `labels`
/// gives the server's label of a field key (from the inspection).
pub fn report_view<'a>(
    language: Language,
    kind: pb::ImportKind,
    report: &pb::ImportReport,
    labels: impl Fn(&str) -> Option<&'a str> + Copy,
) -> ReportView {
    let tone_if = |value: i32, tone: Tone| if value > 0 { tone } else { Tone::Neutral };
    let history = kind != pb::ImportKind::Accounts;
    let mut counts = vec![
        Count {
            label: Key::RowsRead,
            value: report.rows_read,
            tone: Tone::Neutral,
        },
        Count {
            label: Key::RowsNew,
            value: report.rows_new,
            tone: tone_if(report.rows_new, Tone::Good),
        },
        Count {
            label: Key::RowsUpdated,
            value: report.rows_updated,
            tone: tone_if(report.rows_updated, Tone::Caution),
        },
        Count {
            label: Key::RowsUnchanged,
            value: report.rows_unchanged,
            tone: Tone::Neutral,
        },
        Count {
            label: Key::RowsSkipped,
            value: report.rows_skipped,
            tone: Tone::Neutral,
        },
        Count {
            label: Key::RowsInvalid,
            value: report.rows_invalid,
            tone: tone_if(report.rows_invalid, Tone::Bad),
        },
    ];
    if history {
        // History is never updated or skipped: a row is new, already
        // there, or refused.
        counts.retain(|count| !matches!(count.label, Key::RowsUpdated | Key::RowsSkipped));
    }
    let errors = report
        .errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|error| ErrorLine {
            row: error.row,
            field: import::field_label(language, &error.field, labels(&error.field)),
            value: error.value.clone(),
            reason: import::reason_text(language, &error.reason),
        })
        .collect();
    let preview = report
        .preview
        .iter()
        .map(|line| PreviewLine {
            row: line.row,
            account_no: line.account_no.clone(),
            outcome: import::outcome_name(language, &line.outcome),
            tone: outcome_tone(&line.outcome),
            differences: line
                .differences
                .iter()
                .map(|difference| import::difference_text(language, difference, labels))
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect();
    let (facts, certificate, balanced_note) = match kind {
        pb::ImportKind::Readings => (
            vec![(Key::FileConsumption, cubic_metres(&report.consumption_file))],
            vec![CertificateLine {
                item: Key::Consumption,
                file: cubic_metres(&report.consumption_file),
                database: cubic_metres(&report.consumption_db),
                agrees: same_amount(&report.consumption_file, &report.consumption_db),
            }],
            Key::BalancedNoteReadings,
        ),
        pb::ImportKind::Payments => (
            vec![(Key::FileAmount, money(&report.amount_file))],
            vec![CertificateLine {
                item: Key::AmountPaid,
                file: money(&report.amount_file),
                database: money(&report.amount_db),
                agrees: same_amount(&report.amount_file, &report.amount_db),
            }],
            Key::BalancedNotePayments,
        ),
        pb::ImportKind::Accounts | pb::ImportKind::Unspecified => (
            vec![
                (Key::FileBalance, money(&report.file_balance)),
                (Key::FileArrears, money(&report.file_arrears)),
            ],
            vec![
                CertificateLine {
                    item: Key::Prepayment,
                    file: money(&report.file_balance),
                    database: money(&report.db_balance),
                    agrees: same_amount(&report.file_balance, &report.db_balance),
                },
                CertificateLine {
                    item: Key::Arrears,
                    file: money(&report.file_arrears),
                    database: money(&report.db_arrears),
                    agrees: same_amount(&report.file_arrears, &report.db_arrears),
                },
            ],
            Key::BalancedNote,
        ),
    };
    ReportView {
        counts,
        errors,
        hidden_errors: report.errors.len().saturating_sub(ERRORS_SHOWN),
        preview,
        importable: i64::from(report.rows_new)
            + i64::from(report.rows_updated)
            + i64::from(report.rows_unchanged),
        facts,
        certificate,
        balanced: report.balanced,
        balanced_note,
    }
}

/// "1,165.500 m³" from the wire's decimal string; empty stays empty (a
/// dry run has no database figure). Text only: no float touches a volume.
pub fn cubic_metres(volume: &str) -> String {
    let volume = volume.trim();
    if volume.is_empty() {
        return String::new();
    }
    let (sign, unsigned) = match volume.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", volume),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let grouped = whole
        .parse::<i64>()
        .map(import::grouped)
        .unwrap_or_else(|_| whole.to_owned());
    let mut litres = fraction.to_owned();
    while litres.len() < 3 {
        litres.push('0');
    }
    format!("{sign}{grouped}.{litres} m³")
}

fn outcome_tone(outcome: &str) -> Tone {
    match outcome {
        "new" => Tone::Good,
        "updated" => Tone::Caution,
        "failed" => Tone::Bad,
        _ => Tone::Neutral,
    }
}

/// Whether two decimal strings of the wire are the same amount ("6822.1"
/// and "6822.10"), compared as text: no float touches money.
pub fn same_amount(left: &str, right: &str) -> bool {
    normal_amount(left) == normal_amount(right)
}

fn normal_amount(amount: &str) -> String {
    let amount = amount.trim();
    let (negative, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.strip_prefix('+').unwrap_or(amount)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let is_zero = whole == "0" && fraction.is_empty();
    let sign = if negative && !is_zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

fn tone_text(tone: Tone) -> fn(&iced::Theme) -> iced::widget::text::Style {
    match tone {
        Tone::Good => theme::text::success,
        Tone::Caution => theme::text::warning,
        Tone::Bad => theme::text::error,
        Tone::Neutral => theme::text::plain,
    }
}

/// A title over a part of a report.
pub fn section_title<'a>(title: impl text::IntoFragment<'a>) -> Element<'a, Message> {
    text(title).size(16).style(theme::text::section).into()
}

/// The counts as a row of tiles.
pub fn counts_view<'a>(language: Language, counts: &[Count]) -> Element<'a, Message> {
    row(counts.iter().map(|count| {
        container(
            column![
                text(import::grouped(count.value.into()))
                    .size(22)
                    .style(tone_text(count.tone)),
                text(tr(language, count.label))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(2)
            .align_x(Alignment::Center),
        )
        .padding([10, 12])
        .center_x(Length::Fill)
        .style(theme::container::summary)
        .into()
    }))
    .spacing(10)
    .into()
}

/// The rows' outcomes.
pub fn preview_view<'a>(language: Language, view: &ReportView) -> Element<'a, Message> {
    if view.preview.is_empty() {
        return text(tr(language, Key::NoPreview))
            .size(14)
            .style(theme::text::muted)
            .into();
    }
    let columns = [
        TableColumn::new(tr(language, Key::RowNumber), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::Outcome), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Differences), Length::FillPortion(14)),
    ];
    let rows = view.preview.iter().map(|line| {
        TableRow::new(vec![
            widget::cell(line.row.to_string()),
            widget::cell(line.account_no.clone()),
            widget::badge(line.outcome.clone(), line.tone),
            text(line.differences.clone())
                .size(13)
                .style(theme::text::muted)
                .into(),
        ])
    });
    column![
        widget::table(&columns, rows),
        text(import::preview_note(
            language,
            view.preview.len(),
            view.importable
        ))
        .size(12)
        .style(theme::text::muted),
    ]
    .spacing(6)
    .into()
}

/// The errors of the rows.
pub fn errors_view<'a>(language: Language, view: &ReportView) -> Element<'a, Message> {
    if view.errors.is_empty() {
        return text(tr(language, Key::NoErrors))
            .size(14)
            .style(theme::text::success)
            .into();
    }
    let columns = [
        TableColumn::new(tr(language, Key::RowNumber), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Field), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Value), Length::FillPortion(5)),
        TableColumn::new(tr(language, Key::Reason), Length::FillPortion(13)),
    ];
    let rows = view.errors.iter().map(|line| {
        TableRow::new(vec![
            widget::cell(line.row.to_string()),
            text(line.field.clone())
                .size(14)
                .style(theme::text::error)
                .into(),
            widget::cell(line.value.clone()),
            widget::cell(line.reason.clone()),
        ])
    });
    let mut lines = column![widget::table(&columns, rows)].spacing(6);
    if view.hidden_errors > 0 {
        lines = lines.push(
            text(import::more_errors(language, view.hidden_errors))
                .size(12)
                .style(theme::text::muted),
        );
    }
    lines.into()
}

/// The reconciliation certificate: file against database, and the verdict.
pub fn certificate_view<'a>(
    language: Language,
    view: &ReportView,
    import_id: i64,
) -> Element<'a, Message> {
    let (verdict, tone) = if view.balanced {
        (Key::Balanced, Tone::Good)
    } else {
        (Key::Unbalanced, Tone::Bad)
    };
    let badge = container(text(tr(language, verdict)).size(17))
        .padding([4, 18])
        .style(theme::container::badge(tone));
    let heading = row![
        section_title(tr(language, Key::Certificate)),
        text(import::import_number(language, import_id))
            .size(14)
            .style(theme::text::muted),
        iced::widget::space::horizontal(),
        badge,
    ]
    .spacing(12)
    .align_y(Alignment::Center);

    let columns = [
        TableColumn::new(tr(language, Key::CertificateItem), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::CertificateFile), Length::FillPortion(4)),
        TableColumn::new(
            tr(language, Key::CertificateDatabase),
            Length::FillPortion(4),
        ),
        TableColumn::new(tr(language, Key::CertificateAgrees), Length::FillPortion(2)),
    ];
    let rows = view.certificate.iter().map(|line| {
        TableRow::new(vec![
            widget::cell(tr(language, line.item)),
            widget::cell(line.file.clone()),
            widget::cell(line.database.clone()),
            if line.agrees {
                text(tr(language, Key::Yes))
                    .size(14)
                    .style(theme::text::success)
                    .into()
            } else {
                text(tr(language, Key::No))
                    .size(14)
                    .style(theme::text::error)
                    .into()
            },
        ])
    });

    let note: Element<'a, Message> = if view.balanced {
        text(tr(language, view.balanced_note))
            .size(13)
            .style(theme::text::success)
            .into()
    } else {
        container(text(tr(language, Key::UnbalancedAdvice)).size(14))
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::error_box)
            .into()
    };

    column![heading, widget::table(&columns, rows), note]
        .spacing(10)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: Language = Language::SimplifiedChinese;

    fn labels(key: &str) -> Option<&'static str> {
        match key {
            "id_number" => Some("证件号码"),
            "customer_name" => Some("户名"),
            _ => None,
        }
    }

    fn dry_run() -> pb::ImportReport {
        pb::ImportReport {
            import_id: 0,
            dry_run: true,
            rows_read: 10,
            rows_new: 8,
            rows_updated: 1,
            rows_unchanged: 0,
            rows_skipped: 0,
            rows_invalid: 1,
            file_balance: "6822.10".into(),
            file_arrears: "1236.55".into(),
            db_balance: "0".into(),
            db_arrears: "0".into(),
            balanced: false,
            errors: vec![pb::ImportRowError {
                row: 8,
                field: "id_number".into(),
                value: "1.10105E+17".into(),
                reason: "'1.10105E+17' was stored by Excel as a number and has lost its last digits; format the column as text and type the numbers again".into(),
            }],
            preview: vec![
                pb::ImportPreviewRow {
                    row: 5,
                    account_no: "2000001".into(),
                    outcome: "new".into(),
                    differences: vec![],
                },
                pb::ImportPreviewRow {
                    row: 6,
                    account_no: "2000002".into(),
                    outcome: "updated".into(),
                    differences: vec![
                        "name: 王芳 → 王芳芳".into(),
                        "balance: 100.00 → 120.50".into(),
                    ],
                },
            ],
            error_file: vec![1, 2, 3],
            refused: false,
            ..pb::ImportReport::default()
        }
    }

    #[test]
    fn a_report_reads_in_the_users_words() {
        let view = report_view(ZH, pb::ImportKind::Accounts, &dry_run(), labels);

        let counts: Vec<(Key, i32, Tone)> = view
            .counts
            .iter()
            .map(|count| (count.label, count.value, count.tone))
            .collect();
        assert_eq!(
            counts,
            vec![
                (Key::RowsRead, 10, Tone::Neutral),
                (Key::RowsNew, 8, Tone::Good),
                (Key::RowsUpdated, 1, Tone::Caution),
                (Key::RowsUnchanged, 0, Tone::Neutral),
                (Key::RowsSkipped, 0, Tone::Neutral),
                (Key::RowsInvalid, 1, Tone::Bad),
            ]
        );
        assert_eq!(
            view.errors,
            vec![ErrorLine {
                row: 8,
                field: "证件号码".into(),
                value: "1.10105E+17".into(),
                reason: "被 Excel 存成了数字，末几位已丢失；请将该列设为文本格式后重新录入".into(),
            }]
        );
        assert_eq!(view.preview[0].outcome, "新增");
        assert_eq!(view.preview[0].tone, Tone::Good);
        assert_eq!(
            view.preview[1].differences,
            "户名：王芳 → 王芳芳\n预存款：100.00 → 120.50"
        );
        assert_eq!(view.importable, 9);
        assert_eq!(
            view.facts,
            vec![
                (Key::FileBalance, "¥6,822.10".to_owned()),
                (Key::FileArrears, "¥1,236.55".to_owned()),
            ]
        );
        assert_eq!(view.balanced_note, Key::BalancedNote);
    }

    #[test]
    fn histories_certify_their_own_sums() {
        let readings = pb::ImportReport {
            rows_new: 3,
            consumption_file: "1165.5".into(),
            consumption_db: "1165.500".into(),
            balanced: true,
            ..pb::ImportReport::default()
        };
        let view = report_view(ZH, pb::ImportKind::Readings, &readings, labels);
        assert_eq!(
            view.certificate,
            vec![CertificateLine {
                item: Key::Consumption,
                file: "1,165.500 m³".into(),
                database: "1,165.500 m³".into(),
                agrees: true,
            }]
        );
        assert_eq!(
            view.facts,
            vec![(Key::FileConsumption, "1,165.500 m³".to_owned())]
        );
        assert_eq!(view.balanced_note, Key::BalancedNoteReadings);
        let labels_of_counts: Vec<Key> = view.counts.iter().map(|c| c.label).collect();
        assert_eq!(
            labels_of_counts,
            [
                Key::RowsRead,
                Key::RowsNew,
                Key::RowsUnchanged,
                Key::RowsInvalid
            ]
        );

        let payments = pb::ImportReport {
            amount_file: "1126.00".into(),
            amount_db: "1125.99".into(),
            ..pb::ImportReport::default()
        };
        let view = report_view(ZH, pb::ImportKind::Payments, &payments, labels);
        assert_eq!(
            view.certificate,
            vec![CertificateLine {
                item: Key::AmountPaid,
                file: "¥1,126.00".into(),
                database: "¥1,125.99".into(),
                agrees: false,
            }]
        );
        assert_eq!(view.facts, vec![(Key::FileAmount, "¥1,126.00".to_owned())]);
        assert_eq!(cubic_metres(""), "");
        assert_eq!(cubic_metres("-0.5"), "-0.500 m³");
    }

    #[test]
    fn the_certificate_compares_file_and_database() {
        let report = pb::ImportReport {
            import_id: 12,
            file_balance: "6822.10".into(),
            db_balance: "6822.1".into(),
            file_arrears: "1236.55".into(),
            db_arrears: "1236.50".into(),
            balanced: false,
            ..pb::ImportReport::default()
        };
        let view = report_view(ZH, pb::ImportKind::Accounts, &report, labels);
        assert_eq!(
            view.certificate,
            vec![
                CertificateLine {
                    item: Key::Prepayment,
                    file: "¥6,822.10".into(),
                    database: "¥6,822.10".into(),
                    agrees: true,
                },
                CertificateLine {
                    item: Key::Arrears,
                    file: "¥1,236.55".into(),
                    database: "¥1,236.50".into(),
                    agrees: false,
                },
            ]
        );
        assert!(!view.balanced);
    }

    #[test]
    fn long_error_lists_are_cut_for_the_page() {
        let report = pb::ImportReport {
            errors: (0..250)
                .map(|row| pb::ImportRowError {
                    row,
                    field: "row".into(),
                    value: String::new(),
                    reason: "incomplete row".into(),
                })
                .collect(),
            ..pb::ImportReport::default()
        };
        let view = report_view(ZH, pb::ImportKind::Accounts, &report, labels);
        assert_eq!(view.errors.len(), ERRORS_SHOWN);
        assert_eq!(view.hidden_errors, 50);
        assert_eq!(view.errors[0].field, "整行");
    }

    #[test]
    fn amounts_compare_as_numbers_written() {
        assert!(same_amount("6822.10", "6822.1"));
        assert!(same_amount("0", "0.00"));
        assert!(same_amount("-0.00", "0"));
        assert!(same_amount("007.50", "7.5"));
        assert!(!same_amount("1236.55", "1236.5"));
        assert!(!same_amount("-1", "1"));
    }
}
