//! Step 2, 确认列映射: which column of the sheet feeds each field. The
//! server proposes a match from the headers; the user may change it. The
//! choice is sent only when it differs from the proposal, so the server's
//! own recognition (which also finds the header row) stays in charge
//! otherwise.

use std::collections::HashMap;

use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, pick_list, row, text};
use iced::{Alignment, Element, Length};

use crate::i18n::import::{self, Key};
use crate::i18n::{Language, tr};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

use super::Message;

/// The fields of the sheet inspected and the column chosen for each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// The server's fields, in its order, with the header it matched.
    fields: Vec<pb::ImportFieldColumn>,
    /// The header texts of the header row, without blanks and repeats.
    headers: Vec<String>,
    /// The header chosen for each field of `fields`; `None` leaves the
    /// field out.
    chosen: Vec<Option<String>>,
    /// For each field of `fields`, the header a saved mapping named that
    /// the sheet does not have (the field was left unmapped).
    absent: Vec<Option<String>>,
    /// Whether a saved mapping was applied: the choice is then the user's,
    /// and is sent even where it agrees with the proposal.
    applied: bool,
}

/// How a field stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldState {
    /// The column the server found.
    Recognised,
    /// A column the user chose (or none, where the server found one).
    Changed,
    /// Left out, as the server proposed.
    NotImported,
    /// A required field without a column: nothing can run.
    MissingRequired,
    /// A saved mapping named a column the sheet does not have.
    ColumnAbsent,
}

impl Mapping {
    /// The server's proposal for an inspected sheet.
    pub fn from_inspection(inspection: &pb::InspectImportFileResponse) -> Self {
        let mut headers: Vec<String> = Vec::new();
        for header in &inspection.headers {
            let header = header.trim();
            if !header.is_empty() && !headers.iter().any(|known| known == header) {
                headers.push(header.to_owned());
            }
        }
        let chosen = inspection.fields.iter().map(proposed).collect();
        Mapping {
            fields: inspection.fields.clone(),
            headers,
            chosen,
            absent: vec![None; inspection.fields.len()],
            applied: false,
        }
    }

    pub fn fields(&self) -> &[pb::ImportFieldColumn] {
        &self.fields
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The column chosen for `field`.
    pub fn chosen(&self, field: &str) -> Option<&str> {
        let index = self.fields.iter().position(|known| known.field == field)?;
        self.chosen.get(index)?.as_deref()
    }

    /// Chooses the column `header` (`None`: not imported) for `field`.
    /// Only headers of the sheet are taken.
    pub fn choose(&mut self, field: &str, header: Option<String>) {
        if header
            .as_ref()
            .is_some_and(|header| !self.headers.contains(header))
        {
            return;
        }
        if let Some(index) = self.fields.iter().position(|known| known.field == field)
            && let Some(chosen) = self.chosen.get_mut(index)
        {
            *chosen = header;
            if let Some(absent) = self.absent.get_mut(index) {
                *absent = None;
            }
        }
    }

    /// Back to the server's proposal.
    pub fn reset(&mut self) {
        self.chosen = self.fields.iter().map(proposed).collect();
        self.absent = vec![None; self.fields.len()];
        self.applied = false;
    }

    /// Takes the choices of a saved mapping (field key -> header text):
    /// each field gets the header saved for it when the sheet has it, and
    /// is left unmapped otherwise, the missing header noted. Keys that are
    /// not fields of this sheet's kind are ignored.
    pub fn apply_saved(&mut self, saved: &HashMap<String, String>) {
        let mut chosen = Vec::with_capacity(self.fields.len());
        let mut absent = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let header = saved
                .get(&field.field)
                .map(|header| header.trim())
                .filter(|header| !header.is_empty());
            match header {
                Some(header) if self.headers.iter().any(|known| known == header) => {
                    chosen.push(Some(header.to_owned()));
                    absent.push(None);
                }
                Some(header) => {
                    chosen.push(None);
                    absent.push(Some(header.to_owned()));
                }
                None => {
                    chosen.push(None);
                    absent.push(None);
                }
            }
        }
        self.chosen = chosen;
        self.absent = absent;
        self.applied = true;
    }

    /// The header a saved mapping named for `field` that the sheet lacks.
    pub fn absent(&self, field: &str) -> Option<&str> {
        let index = self.fields.iter().position(|known| known.field == field)?;
        self.absent.get(index)?.as_deref()
    }

    /// Whether the user changed anything (applying a saved mapping counts).
    pub fn is_changed(&self) -> bool {
        self.applied
            || self
                .fields
                .iter()
                .zip(&self.chosen)
                .any(|(field, chosen)| *chosen != proposed(field))
    }

    pub fn state(&self, index: usize) -> FieldState {
        let (Some(field), Some(chosen)) = (self.fields.get(index), self.chosen.get(index)) else {
            return FieldState::NotImported;
        };
        let absent = self.absent.get(index).is_some_and(Option::is_some);
        match chosen {
            None if absent => FieldState::ColumnAbsent,
            None if field.required => FieldState::MissingRequired,
            // An applied mapping's columns are the user's choice, even where
            // they agree with the proposal.
            Some(_) if self.applied => FieldState::Changed,
            _ if *chosen != proposed(field) => FieldState::Changed,
            None => FieldState::NotImported,
            Some(_) => FieldState::Recognised,
        }
    }

    /// The required fields without a column.
    pub fn missing_required(&self) -> Vec<&pb::ImportFieldColumn> {
        self.fields
            .iter()
            .zip(&self.chosen)
            .filter(|(field, chosen)| field.required && chosen.is_none())
            .map(|(field, _)| field)
            .collect()
    }

    /// The mapping to send: empty when nothing was changed (the server
    /// recognises the columns itself), else every field with a column.
    pub fn to_request(&self) -> Vec<(String, String)> {
        if !self.is_changed() {
            return Vec::new();
        }
        self.current()
    }

    /// Every field with its column, as chosen now: what 保存当前映射 saves.
    pub fn current(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .zip(&self.chosen)
            .filter_map(|(field, chosen)| Some((field.field.clone(), chosen.clone()?)))
            .collect()
    }

    /// The server's label of a field key.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|field| field.field == key)
            .map(|field| field.label.as_str())
    }
}

/// The server's proposal for one field.
fn proposed(field: &pb::ImportFieldColumn) -> Option<String> {
    let header = field.header.trim();
    (!header.is_empty()).then(|| header.to_owned())
}

/// One choice of a column pick list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChoice {
    pub header: Option<String>,
    label: String,
}

impl std::fmt::Display for ColumnChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

fn choices(language: Language, headers: &[String]) -> Vec<ColumnChoice> {
    std::iter::once(ColumnChoice {
        header: None,
        label: tr(language, Key::NotImported).to_owned(),
    })
    .chain(headers.iter().map(|header| ColumnChoice {
        header: Some(header.clone()),
        // Headers may hold line breaks ("开户日期\n（年-月-日）").
        label: header.split_whitespace().collect::<Vec<_>>().join(" "),
    }))
    .collect()
}

fn state_badge<'a>(
    language: Language,
    state: FieldState,
    absent: Option<&'a str>,
) -> Element<'a, Message> {
    let (key, tone) = match state {
        FieldState::ColumnAbsent => {
            let badge = widget::badge(tr(language, Key::ColumnAbsent), Tone::Bad);
            return match absent {
                Some(header) => column![
                    badge,
                    text(header.split_whitespace().collect::<Vec<_>>().join(" "))
                        .size(12)
                        .style(theme::text::muted),
                ]
                .spacing(2)
                .into(),
                None => badge,
            };
        }
        FieldState::Recognised => (Key::MatchAuto, Tone::Good),
        FieldState::Changed => (Key::MatchChanged, Tone::Caution),
        FieldState::NotImported => (Key::MatchNone, Tone::Neutral),
        FieldState::MissingRequired => (Key::MatchMissingRequired, Tone::Bad),
    };
    widget::badge(tr(language, key), tone)
}

/// The table of fields with their column pick lists.
pub fn view<'a>(language: Language, mapping: &'a Mapping, enabled: bool) -> Element<'a, Message> {
    let options = choices(language, &mapping.headers);
    let columns = [
        TableColumn::new(tr(language, Key::Field), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::Required), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Column), Length::FillPortion(7)),
        TableColumn::new(tr(language, Key::MatchState), Length::FillPortion(3)),
    ];
    let rows =
        mapping
            .fields
            .iter()
            .zip(&mapping.chosen)
            .enumerate()
            .map(|(index, (field, chosen))| {
                let state = mapping.state(index);
                let missing = state == FieldState::MissingRequired
                    || (state == FieldState::ColumnAbsent && field.required);
                let selected = options
                    .iter()
                    .find(|choice| choice.header == *chosen)
                    .cloned();
                let column_cell: Element<'a, Message> = if enabled {
                    let key = field.field.clone();
                    pick_list(options.clone(), selected, move |choice: ColumnChoice| {
                        Message::ColumnChosen {
                            field: key.clone(),
                            header: choice.header,
                        }
                    })
                    .placeholder(tr(language, Key::NotImported))
                    .text_size(14)
                    .padding([4, 8])
                    .width(Length::Fill)
                    .style(move |theme, status| theme::pick_list::field(theme, status, missing))
                    .into()
                } else {
                    // A pick list has no disabled look: while a run goes, the
                    // choice is shown as text.
                    widget::cell(selected.map_or_else(
                        || tr(language, Key::NotImported).to_owned(),
                        |choice| choice.to_string(),
                    ))
                };
                TableRow::new(vec![
                    field_cell(language, field, missing),
                    required_cell(language, field.required),
                    column_cell,
                    state_badge(
                        language,
                        state,
                        mapping.absent.get(index).and_then(Option::as_deref),
                    ),
                ])
            });
    widget::table(&columns, rows)
}

fn field_cell<'a>(
    language: Language,
    field: &'a pb::ImportFieldColumn,
    missing: bool,
) -> Element<'a, Message> {
    let label = import::field_label(language, &field.field, Some(&field.label));
    let label = text(label).size(14);
    if missing {
        label.style(theme::text::error).into()
    } else {
        label.into()
    }
}

fn required_cell<'a>(language: Language, required: bool) -> Element<'a, Message> {
    if required {
        text(format!("＊{}", tr(language, Key::Required)))
            .size(13)
            .style(theme::text::warning)
            .into()
    } else {
        text("").size(13).into()
    }
}

/// The note and the reset button under the table.
pub fn footer<'a>(language: Language, mapping: &'a Mapping, enabled: bool) -> Element<'a, Message> {
    let missing: Vec<String> = mapping
        .missing_required()
        .into_iter()
        .map(|field| import::field_label(language, &field.field, Some(&field.label)))
        .collect();
    let mut lines = column![].spacing(8);
    if !missing.is_empty() {
        lines = lines.push(
            container(text(import::missing_required(language, &missing)).size(14))
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::error_box),
        );
    }
    lines = lines.push(
        row![
            text(tr(language, Key::MappingHint))
                .size(13)
                .style(theme::text::muted)
                .width(Length::Fill),
            button(text(tr(language, Key::ResetMapping)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe((enabled && mapping.is_changed()).then_some(Message::ResetMapping)),
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    );
    lines.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, label: &str, required: bool, header: &str) -> pb::ImportFieldColumn {
        pb::ImportFieldColumn {
            field: key.into(),
            label: label.into(),
            required,
            header: header.into(),
        }
    }

    fn inspection() -> pb::InspectImportFileResponse {
        pb::InspectImportFileResponse {
            sheet: "用户台账".into(),
            header_row: 4,
            headers: vec![
                "序号".into(),
                "＊用户编号".into(),
                "客户名称".into(),
                "".into(),
                "表具编号【必填】".into(),
                "备注".into(),
                "备注".into(),
            ],
            fields: vec![
                field("account_no", "户号", true, "＊用户编号"),
                field("customer_name", "户名", true, "客户名称"),
                field("meter_no", "表号", true, ""),
                field("card_no", "卡号", false, ""),
            ],
            data_rows: 11,
        }
    }

    #[test]
    fn the_proposal_is_not_sent() {
        let mapping = Mapping::from_inspection(&inspection());
        assert!(!mapping.is_changed());
        assert!(mapping.to_request().is_empty());
        assert_eq!(mapping.chosen("account_no"), Some("＊用户编号"));
        assert_eq!(mapping.chosen("meter_no"), None);
        assert_eq!(
            mapping.headers(),
            ["序号", "＊用户编号", "客户名称", "表具编号【必填】", "备注"],
            "blank and repeated headers are not offered"
        );
    }

    #[test]
    fn a_changed_mapping_is_sent_whole() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.choose("meter_no", Some("表具编号【必填】".into()));
        assert!(mapping.is_changed());
        assert_eq!(
            mapping.to_request(),
            vec![
                ("account_no".to_owned(), "＊用户编号".to_owned()),
                ("customer_name".to_owned(), "客户名称".to_owned()),
                ("meter_no".to_owned(), "表具编号【必填】".to_owned()),
            ],
            "every field with a column, the unchanged ones too"
        );

        mapping.reset();
        assert!(!mapping.is_changed());
        assert!(mapping.to_request().is_empty());
    }

    #[test]
    fn leaving_a_recognised_field_out_is_a_change() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.choose("customer_name", None);
        assert!(mapping.is_changed());
        assert_eq!(
            mapping.to_request(),
            vec![("account_no".to_owned(), "＊用户编号".to_owned())]
        );
    }

    #[test]
    fn only_headers_of_the_sheet_are_taken() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.choose("meter_no", Some("不存在的列".into()));
        mapping.choose("no_such_field", Some("备注".into()));
        assert!(!mapping.is_changed());
    }

    fn saved(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(field, header)| ((*field).to_owned(), (*header).to_owned()))
            .collect()
    }

    #[test]
    fn a_saved_mapping_sets_the_choices() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.apply_saved(&saved(&[
            ("account_no", "＊用户编号"),
            ("customer_name", "客户名称"),
            ("meter_no", " 表具编号【必填】 "),
            ("no_such_field", "备注"),
        ]));
        assert_eq!(mapping.chosen("meter_no"), Some("表具编号【必填】"));
        assert_eq!(mapping.chosen("card_no"), None, "not in the saved mapping");
        assert!(mapping.is_changed());
        assert_eq!(mapping.state(0), FieldState::Changed, "applied: the user's");
        assert_eq!(mapping.state(3), FieldState::NotImported);
        assert_eq!(
            mapping.to_request(),
            vec![
                ("account_no".to_owned(), "＊用户编号".to_owned()),
                ("customer_name".to_owned(), "客户名称".to_owned()),
                ("meter_no".to_owned(), "表具编号【必填】".to_owned()),
            ]
        );
    }

    #[test]
    fn a_saved_mapping_that_agrees_with_the_proposal_is_still_sent() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.apply_saved(&saved(&[
            ("account_no", "＊用户编号"),
            ("customer_name", "客户名称"),
        ]));
        assert!(mapping.is_changed());
        assert_eq!(mapping.to_request().len(), 2);
        mapping.reset();
        assert!(!mapping.is_changed());
        assert!(mapping.to_request().is_empty());
    }

    #[test]
    fn a_saved_header_the_sheet_lacks_leaves_the_field_unmapped() {
        let mut mapping = Mapping::from_inspection(&inspection());
        mapping.apply_saved(&saved(&[
            ("account_no", "户号（旧）"),
            ("customer_name", "客户名称"),
            ("meter_no", "表具编号【必填】"),
            ("card_no", "IC卡号"),
        ]));
        assert_eq!(mapping.chosen("account_no"), None);
        assert_eq!(mapping.absent("account_no"), Some("户号（旧）"));
        assert_eq!(mapping.state(0), FieldState::ColumnAbsent);
        assert_eq!(mapping.state(3), FieldState::ColumnAbsent);
        assert_eq!(mapping.absent("customer_name"), None);
        let missing: Vec<&str> = mapping
            .missing_required()
            .iter()
            .map(|field| field.field.as_str())
            .collect();
        assert_eq!(missing, ["account_no"], "still blocks the run");
        assert_eq!(
            mapping.to_request(),
            vec![
                ("customer_name".to_owned(), "客户名称".to_owned()),
                ("meter_no".to_owned(), "表具编号【必填】".to_owned()),
            ]
        );

        // Choosing a column for the field clears the note.
        mapping.choose("account_no", Some("＊用户编号".into()));
        assert_eq!(mapping.absent("account_no"), None);
        assert_eq!(mapping.state(0), FieldState::Changed);
    }

    #[test]
    fn required_fields_without_a_column_are_found() {
        let mut mapping = Mapping::from_inspection(&inspection());
        let missing: Vec<&str> = mapping
            .missing_required()
            .iter()
            .map(|field| field.field.as_str())
            .collect();
        assert_eq!(missing, ["meter_no"]);
        assert_eq!(mapping.state(0), FieldState::Recognised);
        assert_eq!(mapping.state(2), FieldState::MissingRequired);
        assert_eq!(mapping.state(3), FieldState::NotImported);

        mapping.choose("meter_no", Some("表具编号【必填】".into()));
        mapping.choose("account_no", None);
        assert_eq!(mapping.state(2), FieldState::Changed);
        assert_eq!(mapping.state(0), FieldState::MissingRequired);
        assert_eq!(mapping.label("customer_name"), Some("户名"));
    }
}
