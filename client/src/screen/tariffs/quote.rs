//! 试算: prices a consumption with the published revision or the draft (or
//! both side by side) through QuoteTariff, to answer a customer's question.
//! The inputs are checked here first; the request is built by a pure
//! function the tests check.

use gascis_common::proto::v1 as pb;
use gascis_common::tariff::{CustomerType, Tariff};

use iced::widget::{button, checkbox, column, container, pick_list, row, text, text_input};
use iced::{Alignment, Element, Length};

use super::editor::{FieldProblem, parse_count, parse_date, parse_volume};
use super::{Loaded, Open, note_box};
use crate::api::ApiError;
use crate::i18n::tariffs::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::widget;

/// Which document prices the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Published,
    Draft,
    /// Both, side by side.
    Compare,
}

/// An input of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Volume,
    From,
    To,
    CycleToDate,
    HouseholdSize,
}

impl Input {
    pub const ALL: [Input; 5] = [
        Input::Volume,
        Input::From,
        Input::To,
        Input::CycleToDate,
        Input::HouseholdSize,
    ];

    /// The widget id of the input.
    pub fn input_id(self) -> &'static str {
        match self {
            Input::Volume => "tariff-quote-volume",
            Input::From => "tariff-quote-from",
            Input::To => "tariff-quote-to",
            Input::CycleToDate => "tariff-quote-cycle-to-date",
            Input::HouseholdSize => "tariff-quote-household",
        }
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub enum Outcome {
    One {
        source: Source,
        result: Result<pb::TariffQuote, ApiError>,
    },
    Both {
        published: Result<pb::TariffQuote, ApiError>,
        draft: Result<pb::TariffQuote, ApiError>,
    },
}

#[derive(Debug, Clone)]
pub enum Message {
    InputChanged(Input, String),
    PurposeSelected(String),
    CustomerTypeSelected(CustomerType),
    LowIncomeToggled(bool),
    /// `None`: no flat class.
    FlatClassSelected(Option<String>),
    SourceSelected(Source),
    /// 试算: the screen sends the quote.
    Run,
}

/// The panel's inputs and its last answer.
#[derive(Debug, Clone)]
pub struct Panel {
    volume: String,
    from: String,
    to: String,
    cycle_to_date: String,
    household_size: String,
    purpose: Option<String>,
    customer_type: CustomerType,
    low_income: bool,
    flat_class: Option<String>,
    source: Source,
    problems: Vec<(Input, FieldProblem)>,
    /// The id of the quote in flight; answers of others are dropped.
    pending: Option<u64>,
    sent: u64,
    outcome: Option<Outcome>,
}

impl Panel {
    pub fn new(today: chrono::NaiveDate) -> Self {
        Panel {
            volume: String::new(),
            from: today.to_string(),
            to: String::new(),
            cycle_to_date: "0".to_owned(),
            household_size: "1".to_owned(),
            purpose: None,
            customer_type: CustomerType::Residential,
            low_income: false,
            flat_class: None,
            source: Source::Published,
            problems: Vec::new(),
            pending: None,
            sent: 0,
            outcome: None,
        }
    }

    pub fn input(&self, input: Input) -> &str {
        match input {
            Input::Volume => &self.volume,
            Input::From => &self.from,
            Input::To => &self.to,
            Input::CycleToDate => &self.cycle_to_date,
            Input::HouseholdSize => &self.household_size,
        }
    }

    pub fn problem(&self, input: Input) -> Option<&FieldProblem> {
        self.problems
            .iter()
            .find(|(at, _)| *at == input)
            .map(|(_, problem)| problem)
    }

    pub fn purpose(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    pub fn customer_type(&self) -> CustomerType {
        self.customer_type
    }

    pub fn low_income(&self) -> bool {
        self.low_income
    }

    pub fn flat_class(&self) -> Option<&str> {
        self.flat_class.as_deref()
    }

    pub fn source(&self) -> Source {
        self.source
    }

    /// The id of the quote in flight.
    pub fn pending(&self) -> Option<u64> {
        self.pending
    }

    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The source in use when the draft went away (published).
    pub fn no_draft(&mut self) {
        self.source = Source::Published;
    }

    /// Chooses the first purpose of the tariff when none (or an unknown
    /// one) is chosen.
    pub fn fit_to(&mut self, tariff: Option<&Tariff>) {
        let purposes = purposes(tariff);
        if self
            .purpose
            .as_ref()
            .is_none_or(|chosen| !purposes.contains(chosen))
        {
            self.purpose = purposes.into_iter().next();
        }
        let classes = flat_classes(tariff);
        if self
            .flat_class
            .as_ref()
            .is_some_and(|chosen| !classes.iter().any(|(code, _)| code == chosen))
        {
            self.flat_class = None;
        }
    }

    pub fn update(&mut self, message: Message) {
        match message {
            Message::InputChanged(input, text) => {
                self.problems.retain(|(at, _)| *at != input);
                match input {
                    Input::Volume => self.volume = text,
                    Input::From => self.from = text,
                    Input::To => self.to = text,
                    Input::CycleToDate => self.cycle_to_date = text,
                    Input::HouseholdSize => self.household_size = text,
                }
            }
            Message::PurposeSelected(purpose) => self.purpose = Some(purpose),
            Message::CustomerTypeSelected(customer_type) => self.customer_type = customer_type,
            Message::LowIncomeToggled(on) => self.low_income = on,
            Message::FlatClassSelected(class) => self.flat_class = class,
            Message::SourceSelected(source) => self.source = source,
            Message::Run => {}
        }
    }

    /// The problems of the inputs; none means the request can go.
    pub fn check(&self) -> Vec<(Input, FieldProblem)> {
        let mut problems = Vec::new();
        if let Err(problem) = parse_volume(&self.volume) {
            problems.push((Input::Volume, problem));
        }
        let from = parse_date(&self.from);
        if let Err(problem) = &from {
            problems.push((Input::From, problem.clone()));
        }
        if !self.to.trim().is_empty() {
            match parse_date(&self.to) {
                Err(problem) => problems.push((Input::To, problem)),
                Ok(to) if from.as_ref().is_ok_and(|from| to < *from) => {
                    problems.push((Input::To, FieldProblem::BeforeStart));
                }
                Ok(_) => {}
            }
        }
        if !self.cycle_to_date.trim().is_empty()
            && let Err(problem) = parse_volume(&self.cycle_to_date)
        {
            problems.push((Input::CycleToDate, problem));
        }
        match parse_count(&self.household_size) {
            Ok(0) => problems.push((Input::HouseholdSize, FieldProblem::NotAWholeNumber)),
            Ok(size) if size > 99 => problems.push((
                Input::HouseholdSize,
                FieldProblem::TooLarge {
                    max: "99".to_owned(),
                },
            )),
            Ok(_) => {}
            Err(problem) => problems.push((Input::HouseholdSize, problem)),
        }
        problems
    }

    /// The request for `code` as the inputs stand (the draft flag follows
    /// the source; a comparison sends it both ways).
    pub fn request(&self, code: &str) -> pb::QuoteTariffRequest {
        let household_size = parse_count(&self.household_size)
            .ok()
            .and_then(|size| i32::try_from(size).ok())
            .unwrap_or(1);
        pb::QuoteTariffRequest {
            code: code.to_owned(),
            draft: self.source == Source::Draft,
            volume: self.volume.trim().to_owned(),
            from: self.from.trim().to_owned(),
            to: self.to.trim().to_owned(),
            cycle_to_date: self.cycle_to_date.trim().to_owned(),
            customer_type: self.customer_type.as_str().to_owned(),
            purpose: self.purpose.clone().unwrap_or_default(),
            household_size,
            low_income: self.low_income,
            flat_class: self.flat_class.clone().unwrap_or_default(),
        }
    }

    /// 试算 was pressed: the problems are shown, or the id of the quote to
    /// send is answered.
    pub fn submit(&mut self) -> Option<u64> {
        self.problems = self.check();
        if !self.problems.is_empty() {
            return None;
        }
        self.sent += 1;
        self.pending = Some(self.sent);
        Some(self.sent)
    }

    /// The answer of quote `id`.
    pub fn answered(&mut self, id: u64, outcome: Outcome) {
        if self.pending == Some(id) {
            self.pending = None;
            self.outcome = Some(outcome);
        }
    }
}

/// The purposes a tariff's tier tables bill, in order, once each.
pub fn purposes(tariff: Option<&Tariff>) -> Vec<String> {
    let mut purposes: Vec<String> = Vec::new();
    for version in tariff.into_iter().flat_map(|t| t.versions.iter()) {
        for purpose in version.tier_tables.iter().flat_map(|t| t.purposes.iter()) {
            if !purposes.contains(purpose) {
                purposes.push(purpose.clone());
            }
        }
    }
    purposes
}

/// The flat classes of a tariff (code, name), once each.
pub fn flat_classes(tariff: Option<&Tariff>) -> Vec<(String, Option<String>)> {
    let mut classes: Vec<(String, Option<String>)> = Vec::new();
    for version in tariff.into_iter().flat_map(|t| t.versions.iter()) {
        for class in &version.flat_classes {
            if !classes.iter().any(|(code, _)| *code == class.code) {
                classes.push((class.code.clone(), class.name.clone()));
            }
        }
    }
    classes
}

/// A choice of a pick list: the value and what the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Choice {
    value: Option<String>,
    label: String,
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

fn labelled<'a>(
    language: Language,
    label: Key,
    input: Element<'a, Message>,
    problem: Option<&FieldProblem>,
) -> Element<'a, Message> {
    let mut lines = column![
        text(tr(language, label)).size(13).style(theme::text::label),
        input
    ]
    .spacing(4);
    if let Some(problem) = problem {
        lines = lines.push(
            text(texts::problem_text(language, problem))
                .size(12)
                .style(theme::text::error),
        );
    }
    lines.into()
}

fn input_field<'a>(
    language: Language,
    panel: &'a Panel,
    input: Input,
    label: Key,
    placeholder: Key,
    width: f32,
) -> Element<'a, Message> {
    let problem = panel.problem(input);
    let field = text_input(tr(language, placeholder), panel.input(input))
        .id(input.input_id())
        .padding([6, 8])
        .size(14)
        .width(Length::Fixed(width))
        .style(if problem.is_some() {
            theme::text_input::invalid
        } else {
            theme::text_input::field
        })
        .on_input(move |text| Message::InputChanged(input, text))
        .on_submit(Message::Run);
    labelled(language, label, field.into(), problem)
}

/// The 试算 tab of an open tariff.
pub fn view<'a>(language: Language, open: &'a Open) -> Element<'a, Message> {
    let panel = &open.quote;
    let tariff = open
        .published
        .as_ref()
        .or(open.draft.as_ref())
        .and_then(Loaded::tariff);
    let draft_tariff = open.draft.as_ref().and_then(Loaded::tariff);

    let mut sources = Vec::new();
    if open.published.is_some() {
        sources.push((
            Source::Published,
            tr(language, Key::QuotePublished).to_owned(),
        ));
    }
    if open.draft.is_some() {
        sources.push((Source::Draft, tr(language, Key::QuoteDraft).to_owned()));
    }
    if open.published.is_some() && open.draft.is_some() {
        sources.push((Source::Compare, tr(language, Key::QuoteCompare).to_owned()));
    }

    let purposes: Vec<Choice> = purposes(tariff)
        .into_iter()
        .chain(purposes(draft_tariff))
        .fold(Vec::new(), |mut known: Vec<String>, purpose| {
            if !known.contains(&purpose) {
                known.push(purpose);
            }
            known
        })
        .into_iter()
        .map(|purpose| Choice {
            label: texts::purpose_name(language, &purpose),
            value: Some(purpose),
        })
        .collect();
    let chosen_purpose = purposes
        .iter()
        .find(|choice| choice.value.as_deref() == panel.purpose())
        .cloned();
    let purpose_list: Element<'a, Message> = pick_list(purposes, chosen_purpose, |choice| {
        Message::PurposeSelected(choice.value.unwrap_or_default())
    })
    .text_size(14)
    .padding([6, 8])
    .width(Length::Fixed(180.0))
    .style(|theme, status| theme::pick_list::field(theme, status, false))
    .into();

    let classes: Vec<Choice> = std::iter::once(Choice {
        value: None,
        label: tr(language, Key::NoFlatClass).to_owned(),
    })
    .chain(
        flat_classes(tariff)
            .into_iter()
            .chain(flat_classes(draft_tariff))
            .fold(
                Vec::new(),
                |mut known: Vec<(String, Option<String>)>, class| {
                    if !known.iter().any(|(code, _)| *code == class.0) {
                        known.push(class);
                    }
                    known
                },
            )
            .into_iter()
            .map(|(code, name)| Choice {
                label: match name {
                    Some(name) => format!("{name}（{code}）"),
                    None => code.clone(),
                },
                value: Some(code),
            }),
    )
    .collect();
    let chosen_class = classes
        .iter()
        .find(|choice| choice.value.as_deref() == panel.flat_class())
        .cloned();
    let class_list: Element<'a, Message> = pick_list(classes, chosen_class, |choice| {
        Message::FlatClassSelected(choice.value)
    })
    .text_size(14)
    .padding([6, 8])
    .width(Length::Fixed(200.0))
    .style(|theme, status| theme::pick_list::field(theme, status, false))
    .into();

    let types = widget::segmented(
        CustomerType::ALL.map(|kind| (kind, texts::customer_type_name(language, kind).to_owned())),
        panel.customer_type(),
        Message::CustomerTypeSelected,
    );

    let mut inputs = column![].spacing(14);
    if sources.len() > 1 {
        inputs = inputs.push(
            row![
                text(tr(language, Key::QuoteSource))
                    .size(13)
                    .style(theme::text::label),
                widget::segmented(sources, panel.source(), Message::SourceSelected),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        );
    }
    inputs = inputs
        .push(
            row![
                input_field(
                    language,
                    panel,
                    Input::Volume,
                    Key::QuoteVolume,
                    Key::QuoteVolumePlaceholder,
                    140.0
                ),
                input_field(
                    language,
                    panel,
                    Input::From,
                    Key::QuoteFrom,
                    Key::DatePlaceholder,
                    140.0
                ),
                input_field(
                    language,
                    panel,
                    Input::To,
                    Key::QuoteTo,
                    Key::QuoteToPlaceholder,
                    140.0
                ),
                input_field(
                    language,
                    panel,
                    Input::CycleToDate,
                    Key::QuoteCycleToDate,
                    Key::QuoteVolumePlaceholder,
                    140.0
                ),
                input_field(
                    language,
                    panel,
                    Input::HouseholdSize,
                    Key::QuoteHousehold,
                    Key::QuoteHouseholdPlaceholder,
                    90.0
                ),
            ]
            .spacing(14),
        )
        .push(labelled(language, Key::QuoteCustomerType, types, None))
        .push(
            row![
                labelled(language, Key::QuotePurpose, purpose_list, None),
                labelled(language, Key::QuoteFlatClass, class_list, None),
                column![
                    text(" ").size(13),
                    checkbox(panel.low_income())
                        .label(tr(language, Key::QuoteLowIncome))
                        .size(16)
                        .text_size(14)
                        .on_toggle(Message::LowIncomeToggled),
                ]
                .spacing(8),
            ]
            .spacing(20)
            .align_y(Alignment::End),
        );
    let unsaved = open
        .editor
        .as_ref()
        .is_some_and(|editor| editor.is_changed())
        && panel.source() != Source::Published;
    let hint = if unsaved {
        text(tr(language, Key::QuoteUnsavedHint))
            .size(13)
            .style(theme::text::warning)
    } else {
        text(tr(language, Key::QuoteHint))
            .size(13)
            .style(theme::text::muted)
    };
    inputs = inputs.push(
        row![
            hint.width(Length::Fill),
            button(text(tr(
                language,
                if panel.is_busy() {
                    Key::Quoting
                } else {
                    Key::RunQuote
                }
            )))
            .padding([7, 22])
            .style(theme::button::primary)
            .on_press_maybe((!panel.is_busy()).then_some(Message::Run)),
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    );

    let mut page = column![super::card(inputs.into())].spacing(12);
    let class_names: Vec<(String, Option<String>)> = flat_classes(tariff)
        .into_iter()
        .chain(flat_classes(draft_tariff))
        .collect();
    match panel.outcome() {
        None => {}
        Some(Outcome::One { source, result }) => {
            let title = match source {
                Source::Draft => Key::ResultDraft,
                _ => Key::ResultPublished,
            };
            page = page.push(super::card(result_view(
                language,
                tr(language, title),
                result,
                &class_names,
            )));
        }
        Some(Outcome::Both { published, draft }) => {
            let mut both = column![
                row![
                    container(result_view(
                        language,
                        tr(language, Key::ResultPublished),
                        published,
                        &class_names
                    ))
                    .width(Length::FillPortion(1)),
                    container(result_view(
                        language,
                        tr(language, Key::ResultDraft),
                        draft,
                        &class_names
                    ))
                    .width(Length::FillPortion(1)),
                ]
                .spacing(24)
            ]
            .spacing(12);
            if let (Ok(published), Ok(draft)) = (published, draft)
                && let Some(difference) =
                    texts::difference(language, &published.total, &draft.total)
            {
                both = both.push(note_box(difference, theme::container::summary));
            }
            page = page.push(super::card(both.into()));
        }
    }
    page.into()
}

/// One priced consumption: its lines, the total split into net and VAT,
/// and the tariff's notes.
fn result_view<'a>(
    language: Language,
    title: &'a str,
    result: &'a Result<pb::TariffQuote, ApiError>,
    class_names: &[(String, Option<String>)],
) -> Element<'a, Message> {
    let quote = match result {
        Ok(quote) => quote,
        Err(error) => {
            return column![
                text(title).size(16).style(theme::text::section),
                problem_box(language, error)
            ]
            .spacing(10)
            .into();
        }
    };
    let periods: Vec<(&str, &str)> = quote
        .lines
        .iter()
        .filter(|line| line.kind == "tier" || line.kind == "flat")
        .map(|line| (line.from.as_str(), line.to.as_str()))
        .fold(Vec::new(), |mut known, period| {
            if !known.contains(&period) {
                known.push(period);
            }
            known
        });
    let several_periods = periods.len() > 1;
    let mut lines = column![text(title).size(16).style(theme::text::section)].spacing(6);
    if quote.lines.is_empty() {
        lines = lines.push(
            text(tr(language, Key::NoLines))
                .size(14)
                .style(theme::text::muted),
        );
    }
    for line in &quote.lines {
        let mut entry = row![text(texts::quote_line(language, line, class_names)).size(15)]
            .spacing(10)
            .align_y(Alignment::Center);
        if several_periods && (line.kind == "tier" || line.kind == "flat") {
            entry = entry.push(
                text(texts::line_period(language, line))
                    .size(12)
                    .style(theme::text::muted),
            );
        }
        lines = lines.push(entry);
    }
    lines = lines
        .push(iced::widget::rule::horizontal(1).style(theme::rule::hairline))
        .push(text(texts::quote_total(language, &quote.total)).size(17))
        .push(
            text(texts::quote_vat(
                language,
                &quote.net,
                &quote.tax,
                &quote.vat_rate,
            ))
            .size(13)
            .style(theme::text::muted),
        );
    if !quote.notes.is_empty() {
        lines = lines.push(super::notes_box(language, Key::QuoteNotes, &quote.notes));
    }
    lines.into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use gascis_common::tariff::preset;

    #[test]
    fn the_request_carries_the_inputs() {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let mut panel = Panel::new(today);
        let shanghai = preset("shanghai-2014").unwrap();
        panel.fit_to(Some(&shanghai));
        assert_eq!(panel.purpose(), Some("cooking"));
        assert!(panel.submit().is_none(), "the volume is missing");
        assert_eq!(panel.problem(Input::Volume), Some(&FieldProblem::Required));
        panel.update(Message::InputChanged(Input::Volume, "310.5".into()));
        panel.update(Message::InputChanged(Input::HouseholdSize, "5".into()));
        panel.update(Message::InputChanged(Input::To, "2025-02-01".into()));
        assert!(panel.submit().is_none());
        assert_eq!(panel.problem(Input::To), Some(&FieldProblem::BeforeStart));
        panel.update(Message::InputChanged(Input::To, "2025-03-31".into()));
        panel.update(Message::FlatClassSelected(Some("school".into())));
        panel.update(Message::SourceSelected(Source::Draft));
        assert_eq!(panel.submit(), Some(1));
        let request = panel.request("shanghai-2014");
        assert_eq!(
            request,
            pb::QuoteTariffRequest {
                code: "shanghai-2014".into(),
                draft: true,
                volume: "310.5".into(),
                from: "2025-03-01".into(),
                to: "2025-03-31".into(),
                cycle_to_date: "0".into(),
                customer_type: "residential".into(),
                purpose: "cooking".into(),
                household_size: 5,
                low_income: false,
                flat_class: "school".into(),
            }
        );
        // An answer to an older quote is dropped.
        panel.answered(
            7,
            Outcome::One {
                source: Source::Draft,
                result: Err(ApiError::Other("late".into())),
            },
        );
        assert!(panel.outcome().is_none() && panel.is_busy());
    }
}
