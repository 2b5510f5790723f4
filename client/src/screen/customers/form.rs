//! What the archive's forms share: field errors keyed by the proto field path
//! the server also uses, the validators that run while the user types, the
//! customer, premise and meter sub-forms, and the view of a labelled field.
//!
//! Every form turns itself into its request with a pure function that
//! returns the request or the [`FieldErrors`] that block it, so the tests
//! check exactly what would be sent.

use std::collections::BTreeMap;

use gascis_common::identity::{ResidentId, ResidentIdError};
use gascis_common::phone;
use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, pick_list, row, text, text_input};
use iced::{Element, Length};

use crate::i18n::archive::{self, Key};
use crate::i18n::{Language, tr};
use crate::theme;

/// Meter size classes a meter can be ordered in.
pub const METER_SIZES: [&str; 10] = [
    "G1.6", "G2.5", "G4", "G6", "G10", "G16", "G25", "G40", "G65", "G100",
];

/// The longest name the server takes.
pub const NAME_MAX_CHARS: usize = 100;

/// Why a field cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    Required,
    ResidentId(ResidentIdError),
    /// 统一社会信用代码: 18 digits and capital letters.
    CreditCode,
    Phone,
    /// Not a reading: a number not below 0 with at most 3 decimal places.
    Reading,
    /// Not a date written YYYY-MM-DD.
    Date,
    /// Not a whole number from `min` to `max`.
    Integer {
        min: i32,
        max: i32,
    },
    /// Not a decimal coordinate within ±`limit` degrees.
    Coordinate {
        limit: u32,
    },
    /// Latitude and longitude go together.
    CoordinatePair,
    TooLong {
        max_chars: usize,
    },
    /// The form needs some change before it can be sent.
    NothingChanged,
    /// The check box confirming the action is not ticked.
    NotConfirmed,
    /// 已有客户 is chosen but no customer was picked from the lookup.
    NoCustomerChosen,
    /// The customer picked as the new holder already holds the account.
    CurrentHolder,
    /// What the server said about the field, in its words.
    Server(String),
}

/// Problems of a form, by the dotted proto path of the field
/// (`new_customer.id_number`), the same path the server names in
/// `x-gascis-field`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors::default()
    }

    /// Records the first problem of a field; later ones wait until it is fixed.
    pub fn insert(&mut self, path: impl Into<String>, error: FieldError) {
        self.0.entry(path.into()).or_insert(error);
    }

    pub fn get(&self, path: &str) -> Option<&FieldError> {
        self.0.get(path)
    }

    pub fn remove(&mut self, path: &str) {
        self.0.remove(path);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `Ok(value)` when no problem was found.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Runs a validator, recording its problem under `path`; the value is
    /// what to put in the request (an empty one when invalid, which is never
    /// sent since the errors block the request).
    pub fn check<T: Default>(&mut self, path: String, result: Result<T, FieldError>) -> T {
        match result {
            Ok(value) => value,
            Err(error) => {
                self.insert(path, error);
                T::default()
            }
        }
    }
}

/// `prefix.field`, or `field` alone at the top of a request.
pub fn path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

// --- Validators -----------------------------------------------------------

/// Trimmed text that must not be empty.
pub fn required(value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        Err(FieldError::Required)
    } else {
        Ok(value.to_owned())
    }
}

/// Required text of at most `max_chars` characters.
pub fn bounded(value: &str, max_chars: usize) -> Result<String, FieldError> {
    let value = required(value)?;
    if value.chars().count() > max_chars {
        Err(FieldError::TooLong { max_chars })
    } else {
        Ok(value)
    }
}

/// A meter reading in m³: digits, optionally a point and 1 to 3 decimals.
/// Signs, exponents and thousands separators are refused rather than
/// guessed at.
pub fn reading(value: &str) -> Result<String, FieldError> {
    let value = required(value)?;
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value.as_str(), None),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    let fraction_ok = fraction.is_none_or(|fraction| digits(fraction) && fraction.len() <= 3);
    if digits(whole) && whole.len() <= 12 && fraction_ok {
        Ok(value)
    } else {
        Err(FieldError::Reading)
    }
}

/// A date written YYYY-MM-DD (one-digit month and day accepted), returned
/// in that canonical form.
pub fn date(value: &str) -> Result<String, FieldError> {
    let value = required(value)?;
    chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d")
        .map(|date| date.format("%Y-%m-%d").to_string())
        .map_err(|_| FieldError::Date)
}

/// A date, or empty for "today" where the server reads it so.
pub fn optional_date(value: &str) -> Result<String, FieldError> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        date(value)
    }
}

/// A whole number from `min` to `max`.
pub fn integer(value: &str, min: i32, max: i32) -> Result<i32, FieldError> {
    let value = required(value)?;
    match value.parse::<i32>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(FieldError::Integer { min, max }),
    }
}

/// A decimal coordinate within ±`limit` degrees, or empty.
pub fn coordinate(value: &str, limit: u32) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let invalid = FieldError::Coordinate { limit };
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || !digits(whole) || !digits(fraction) {
        return Err(invalid);
    }
    if unsigned.contains('.') && (fraction.is_empty() || fraction.len() > 8) {
        return Err(invalid);
    }
    let degrees: u32 = whole.parse().map_err(|_| invalid.clone())?;
    let beyond = degrees > limit || (degrees == limit && fraction.chars().any(|c| c != '0'));
    if beyond {
        Err(invalid)
    } else {
        Ok(value.to_owned())
    }
}

/// A phone number in its normalised spelling.
pub fn phone(value: &str) -> Result<String, FieldError> {
    let value = required(value)?;
    phone::normalise(&value).map_err(|_| FieldError::Phone)
}

/// An identity number checked for its document type. Resident ID numbers
/// come back in the 18-character form with a capital X.
pub fn id_number(id_type: pb::IdType, value: &str) -> Result<String, FieldError> {
    match id_type {
        pb::IdType::Unspecified | pb::IdType::None => Ok(String::new()),
        pb::IdType::ResidentId => {
            let value = required(value)?;
            ResidentId::parse(&value)
                .map(|id| id.as_str().to_owned())
                .map_err(FieldError::ResidentId)
        }
        pb::IdType::UnifiedSocialCreditCode => {
            let value = required(value)?.to_ascii_uppercase();
            let valid = value.chars().count() == 18
                && value
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
            if valid {
                Ok(value)
            } else {
                Err(FieldError::CreditCode)
            }
        }
        pb::IdType::Passport
        | pb::IdType::HkMacaoPermit
        | pb::IdType::TaiwanPermit
        | pb::IdType::Other => bounded(value, 40),
    }
}

// --- Labels of the proto enums -----------------------------------------------

/// One option of a pick list: a value and its label in the user's language.
#[derive(Debug, Clone, Copy)]
pub struct Choice<T> {
    pub value: T,
    pub label: &'static str,
}

impl<T: PartialEq> PartialEq for Choice<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> std::fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label)
    }
}

pub fn choices<T: Copy>(
    language: Language,
    values: &[T],
    label: fn(Language, T) -> &'static str,
) -> Vec<Choice<T>> {
    values
        .iter()
        .map(|&value| Choice {
            value,
            label: label(language, value),
        })
        .collect()
}

pub const PARTY_KINDS: [pb::PartyKind; 2] = [pb::PartyKind::Person, pb::PartyKind::Organisation];

pub const CUSTOMER_TYPES: [pb::CustomerType; 4] = [
    pb::CustomerType::Residential,
    pb::CustomerType::Commercial,
    pb::CustomerType::Industrial,
    pb::CustomerType::PublicWelfare,
];

pub const ID_TYPES: [pb::IdType; 7] = [
    pb::IdType::ResidentId,
    pb::IdType::UnifiedSocialCreditCode,
    pb::IdType::Passport,
    pb::IdType::HkMacaoPermit,
    pb::IdType::TaiwanPermit,
    pb::IdType::Other,
    pb::IdType::None,
];

pub const METER_TYPES: [pb::MeterType; 3] = [
    pb::MeterType::Mechanical,
    pb::MeterType::IcCard,
    pb::MeterType::Iot,
];

pub const GAS_PURPOSES: [pb::GasPurpose; 5] = [
    pb::GasPurpose::Cooking,
    pb::GasPurpose::Heating,
    pb::GasPurpose::CookingAndHeating,
    pb::GasPurpose::Commercial,
    pb::GasPurpose::Industrial,
];

// --- Showing fields --------------------------------------------------------

/// What the field views of one form need to know.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    pub language: Language,
    /// Prefix of the widget ids of the form, e.g. `open`: the id of a field
    /// is `open.meter.meter_no`.
    pub id_prefix: &'static str,
    /// Problems found by the client while the user types.
    pub validation: &'a FieldErrors,
    /// Problems named by the server at the last submit.
    pub server: &'a FieldErrors,
    /// Whether the user tried to submit: "required" is only shown after.
    pub attempted: bool,
    /// False while the form is being sent.
    pub enabled: bool,
}

impl FormContext<'_> {
    /// The problem to show under a field: the server's first, then the
    /// client's (a missing value only once the user tried to submit).
    pub fn error(&self, path: &str) -> Option<&FieldError> {
        self.server.get(path).or_else(|| {
            self.validation
                .get(path)
                .filter(|error| self.attempted || !is_quiet_until_submit(error))
        })
    }

    pub fn input_id(&self, path: &str) -> String {
        input_id(self.id_prefix, path)
    }
}

/// Problems that are normal in a form being filled in, so are not shown
/// until the user tries to submit.
fn is_quiet_until_submit(error: &FieldError) -> bool {
    matches!(
        error,
        FieldError::Required
            | FieldError::NothingChanged
            | FieldError::NotConfirmed
            | FieldError::NoCustomerChosen
    )
}

/// The widget id of the input of `path` in the form `id_prefix`.
pub fn input_id(id_prefix: &str, path: &str) -> String {
    format!("{id_prefix}.{path}")
}

/// A label above its input, with the field's problem (or an empty line, so
/// neighbouring fields stay aligned) below.
pub fn labelled<'a, M: 'a>(
    context: &FormContext<'_>,
    label: Key,
    path: &str,
    required: bool,
    input: impl Into<Element<'a, M>>,
) -> Element<'a, M> {
    let language = context.language;
    let mut caption = row![
        text(tr(language, label))
            .size(theme::TEXT_SMALL)
            .style(theme::text::label)
    ]
    .spacing(2);
    if required {
        caption = caption.push(text("*").size(theme::TEXT_SMALL).style(theme::text::error));
    }
    let problem: Element<'a, M> = match context.error(path) {
        Some(error) => text(archive::field_error(language, error))
            .size(12)
            .style(theme::text::error)
            .into(),
        None => text("").size(12).into(),
    };
    column![caption, input.into(), problem]
        .spacing(3)
        .width(Length::Fill)
        .into()
}

/// A labelled one-line text input whose id is the form's prefix and `path`.
pub fn text_field<'a, M: Clone + 'a>(
    context: &FormContext<'_>,
    label: Key,
    path: &str,
    value: &str,
    required: bool,
    placeholder: &str,
    on_input: impl Fn(String) -> M + 'a,
) -> Element<'a, M> {
    let invalid = context.error(path).is_some();
    let input = text_input(placeholder, value)
        .id(context.input_id(path))
        .padding([6, 8])
        .size(14)
        .style(if invalid {
            theme::text_input::invalid
        } else {
            theme::text_input::field
        })
        .on_input_maybe(context.enabled.then_some(on_input));
    labelled(context, label, path, required, input)
}

/// A labelled pick list.
pub fn choice_field<'a, T, M>(
    context: &FormContext<'_>,
    label: Key,
    path: &str,
    options: Vec<Choice<T>>,
    selected: Option<T>,
    required: bool,
    on_select: impl Fn(T) -> M + 'a,
) -> Element<'a, M>
where
    T: Copy + PartialEq + 'a,
    M: Clone + 'a,
{
    let selected =
        selected.and_then(|value| options.iter().find(|option| option.value == value).copied());
    let enabled = context.enabled;
    let invalid = context.error(path).is_some();
    let list = pick_list(options, selected, move |choice: Choice<T>| {
        on_select(choice.value)
    })
    .placeholder(tr(context.language, Key::PleaseChoose))
    .padding([6, 8])
    .text_size(14)
    .width(Length::Fill)
    .style(move |theme_, status| theme::pick_list::field(theme_, status, invalid));
    // A pick list has no disabled state: while sending it shows its value.
    let input: Element<'a, M> = if enabled {
        list.into()
    } else {
        container(
            text(selected.map(|choice| choice.label).unwrap_or(""))
                .size(14)
                .style(theme::text::muted),
        )
        .padding([6, 8])
        .width(Length::Fill)
        .style(theme::container::disabled_field)
        .into()
    };
    labelled(context, label, path, required, input)
}

/// A row of fields sharing the width by the given portions.
pub fn field_row<'a, M: 'a>(fields: Vec<(u16, Element<'a, M>)>) -> Element<'a, M> {
    row(fields
        .into_iter()
        .map(|(portion, field)| container(field).width(Length::FillPortion(portion)).into()))
    .spacing(14)
    .into()
}

/// The title of a group of fields.
pub fn section<'a, M: 'a>(language: Language, title: Key) -> Element<'a, M> {
    column![
        text(tr(language, title))
            .size(15)
            .style(theme::text::section),
        iced::widget::rule::horizontal(1).style(theme::rule::hairline),
    ]
    .spacing(6)
    .into()
}

// --- Customer -----------------------------------------------------------------

/// A customer being created (开户, 过户) or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerForm {
    pub party_kind: pb::PartyKind,
    pub customer_type: pb::CustomerType,
    pub name: String,
    pub id_type: pb::IdType,
    pub id_number: String,
    pub phone: String,
    pub phone2: String,
}

impl Default for CustomerForm {
    fn default() -> Self {
        CustomerForm {
            party_kind: pb::PartyKind::Person,
            customer_type: pb::CustomerType::Residential,
            name: String::new(),
            id_type: pb::IdType::ResidentId,
            id_number: String::new(),
            phone: String::new(),
            phone2: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum CustomerMessage {
    PartyKind(pb::PartyKind),
    CustomerType(pb::CustomerType),
    Name(String),
    IdType(pb::IdType),
    IdNumber(String),
    Phone(String),
    Phone2(String),
}

impl CustomerMessage {
    /// The proto field the message edits.
    pub fn field(&self) -> &'static str {
        match self {
            CustomerMessage::PartyKind(_) => "party_kind",
            CustomerMessage::CustomerType(_) => "customer_type",
            CustomerMessage::Name(_) => "name",
            CustomerMessage::IdType(_) => "id_type",
            CustomerMessage::IdNumber(_) => "id_number",
            CustomerMessage::Phone(_) => "phone",
            CustomerMessage::Phone2(_) => "phone2",
        }
    }
}

/// Placeholders of the personal fields of a customer being changed: what
/// is on record, masked, and that an empty field keeps it.
#[derive(Debug, Clone, Copy)]
pub struct KeptPii<'a> {
    pub id_number: &'a str,
    pub phone: &'a str,
    pub phone2: &'a str,
}

impl CustomerForm {
    /// The form of a stored customer. Its identity number and phones come
    /// masked, so they stay empty: empty means "keep".
    pub fn from_customer(customer: &pb::Customer) -> Self {
        CustomerForm {
            party_kind: customer.party_kind(),
            customer_type: customer.customer_type(),
            name: customer.name.clone(),
            id_type: customer.id_type(),
            id_number: String::new(),
            phone: String::new(),
            phone2: String::new(),
        }
    }

    pub fn update(&mut self, message: CustomerMessage) {
        match message {
            CustomerMessage::PartyKind(kind) => {
                // The usual document follows the kind of party.
                match (kind, self.id_type) {
                    (pb::PartyKind::Organisation, pb::IdType::ResidentId) => {
                        self.id_type = pb::IdType::UnifiedSocialCreditCode;
                    }
                    (pb::PartyKind::Person, pb::IdType::UnifiedSocialCreditCode) => {
                        self.id_type = pb::IdType::ResidentId;
                    }
                    _ => {}
                }
                self.party_kind = kind;
            }
            CustomerMessage::CustomerType(customer_type) => self.customer_type = customer_type,
            CustomerMessage::Name(name) => self.name = name,
            CustomerMessage::IdType(id_type) => self.id_type = id_type,
            CustomerMessage::IdNumber(number) => self.id_number = number,
            CustomerMessage::Phone(phone) => self.phone = phone,
            CustomerMessage::Phone2(phone) => self.phone2 = phone,
        }
    }

    /// Every field, for a customer to create; problems go to `errors` under
    /// `prefix`.
    pub fn to_new_input(&self, prefix: &str, errors: &mut FieldErrors) -> pb::CustomerInput {
        let at = |field: &str| path(prefix, field);
        let name = errors.check(at("name"), bounded(&self.name, NAME_MAX_CHARS));
        let id_number = errors.check(at("id_number"), id_number(self.id_type, &self.id_number));
        let phone_number = errors.check(at("phone"), phone(&self.phone));
        let phone2 = if self.phone2.trim().is_empty() {
            None
        } else {
            Some(errors.check(at("phone2"), phone(&self.phone2)))
        };
        pb::CustomerInput {
            party_kind: Some(self.party_kind as i32),
            customer_type: Some(self.customer_type as i32),
            name: Some(name),
            id_type: Some(self.id_type as i32),
            id_number: Some(id_number),
            phone: Some(phone_number),
            phone2,
        }
    }

    /// Only what differs from `original`, for an update. The personal
    /// fields are sent when typed (empty keeps them); `remove_phone2` sends
    /// the empty second phone that removes it.
    pub fn to_changes(
        &self,
        original: &CustomerForm,
        remove_phone2: bool,
        prefix: &str,
        errors: &mut FieldErrors,
    ) -> pb::CustomerInput {
        let at = |field: &str| path(prefix, field);
        let mut changes = pb::CustomerInput::default();
        if self.party_kind != original.party_kind {
            changes.party_kind = Some(self.party_kind as i32);
        }
        if self.customer_type != original.customer_type {
            changes.customer_type = Some(self.customer_type as i32);
        }
        if self.name.trim() != original.name.trim() {
            changes.name = Some(errors.check(at("name"), bounded(&self.name, NAME_MAX_CHARS)));
        }
        let id_type_changed = self.id_type != original.id_type;
        if id_type_changed {
            changes.id_type = Some(self.id_type as i32);
        }
        if !self.id_number.trim().is_empty() || id_type_changed {
            // A new document type needs its number (none for "no document").
            changes.id_number =
                Some(errors.check(at("id_number"), id_number(self.id_type, &self.id_number)));
        }
        if !self.phone.trim().is_empty() {
            changes.phone = Some(errors.check(at("phone"), phone(&self.phone)));
        }
        if remove_phone2 {
            changes.phone2 = Some(String::new());
        } else if !self.phone2.trim().is_empty() {
            changes.phone2 = Some(errors.check(at("phone2"), phone(&self.phone2)));
        }
        changes
    }

    /// The fields in three rows. `kept` is given when changing a stored
    /// customer: its personal fields may stay empty.
    pub fn view<'a>(
        &self,
        context: &FormContext<'_>,
        prefix: &str,
        kept: Option<KeptPii<'_>>,
    ) -> Element<'a, CustomerMessage> {
        let language = context.language;
        let at = |field: &str| path(prefix, field);
        let creating = kept.is_none();
        let keep_hint = |masked: &str| {
            if masked.is_empty() {
                tr(language, Key::EmptyKeeps).to_owned()
            } else {
                format!("{masked}（{}）", tr(language, Key::EmptyKeeps))
            }
        };

        let party_kind = choice_field(
            context,
            Key::PartyKind,
            &at("party_kind"),
            choices(language, &PARTY_KINDS, archive::party_kind),
            Some(self.party_kind),
            true,
            CustomerMessage::PartyKind,
        );
        let customer_type = choice_field(
            context,
            Key::CustomerType,
            &at("customer_type"),
            choices(language, &CUSTOMER_TYPES, archive::customer_type),
            Some(self.customer_type),
            true,
            CustomerMessage::CustomerType,
        );
        let name = text_field(
            context,
            Key::CustomerName,
            &at("name"),
            &self.name,
            true,
            "",
            CustomerMessage::Name,
        );
        let id_type = choice_field(
            context,
            Key::IdType,
            &at("id_type"),
            choices(language, &ID_TYPES, archive::id_type),
            Some(self.id_type),
            true,
            CustomerMessage::IdType,
        );
        let id_number: Element<'a, CustomerMessage> = if self.id_type == pb::IdType::None {
            labelled(
                context,
                Key::IdNumber,
                &at("id_number"),
                false,
                container(
                    text(tr(language, Key::NoDocument))
                        .size(14)
                        .style(theme::text::muted),
                )
                .padding([6, 8]),
            )
        } else {
            text_field(
                context,
                Key::IdNumber,
                &at("id_number"),
                &self.id_number,
                creating,
                &kept
                    .map(|kept| keep_hint(kept.id_number))
                    .unwrap_or_default(),
                CustomerMessage::IdNumber,
            )
        };
        let phone_field = text_field(
            context,
            Key::Phone,
            &at("phone"),
            &self.phone,
            creating,
            &kept
                .map(|kept| keep_hint(kept.phone))
                .unwrap_or_else(|| tr(language, Key::PhonePlaceholder).to_owned()),
            CustomerMessage::Phone,
        );
        let phone2 = text_field(
            context,
            Key::Phone2,
            &at("phone2"),
            &self.phone2,
            false,
            &kept
                .map(|kept| keep_hint(kept.phone2))
                .unwrap_or_else(|| tr(language, Key::Optional).to_owned()),
            CustomerMessage::Phone2,
        );

        column![
            field_row(vec![
                (2, party_kind),
                (2, customer_type),
                (4, name),
                (3, id_type)
            ]),
            field_row(vec![(5, id_number), (3, phone_field), (3, phone2)]),
        ]
        .spacing(4)
        .into()
    }
}

// --- Premise ------------------------------------------------------------------

/// A premise being created or changed. The full address is built from the
/// parts until the user edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PremiseForm {
    pub district: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub address: String,
    /// The user typed the address: the parts no longer rebuild it.
    pub address_edited: bool,
    pub latitude: String,
    pub longitude: String,
}

#[derive(Debug, Clone)]
pub enum PremiseMessage {
    District(String),
    Community(String),
    Building(String),
    Unit(String),
    Room(String),
    Address(String),
    /// Back to the address built from the parts.
    RebuildAddress,
    Latitude(String),
    Longitude(String),
}

impl PremiseMessage {
    pub fn field(&self) -> &'static str {
        match self {
            PremiseMessage::District(_) => "district",
            PremiseMessage::Community(_) => "community",
            PremiseMessage::Building(_) => "building",
            PremiseMessage::Unit(_) => "unit",
            PremiseMessage::Room(_) => "room",
            PremiseMessage::Address(_) | PremiseMessage::RebuildAddress => "address",
            PremiseMessage::Latitude(_) => "latitude",
            PremiseMessage::Longitude(_) => "longitude",
        }
    }
}

/// `浦东新区阳光花园12栋2单元301室` from its parts; a part that already
/// ends with its unit word (12栋, 2单元, 301室) keeps it.
pub fn build_address(
    district: &str,
    community: &str,
    building: &str,
    unit: &str,
    room: &str,
) -> String {
    fn part(value: &str, suffix: &str, known: &[&str]) -> String {
        let value = value.trim();
        if value.is_empty() {
            String::new()
        } else if known.iter().any(|ending| value.ends_with(ending)) {
            value.to_owned()
        } else {
            format!("{value}{suffix}")
        }
    }
    [
        district.trim().to_owned(),
        community.trim().to_owned(),
        part(building, "栋", &["栋", "幢", "号楼", "座", "楼"]),
        part(unit, "单元", &["单元"]),
        part(room, "室", &["室", "号", "铺"]),
    ]
    .concat()
}

impl PremiseForm {
    pub fn from_premise(premise: &pb::Premise) -> Self {
        let built = build_address(
            &premise.district,
            &premise.community,
            &premise.building,
            &premise.unit,
            &premise.room,
        );
        PremiseForm {
            district: premise.district.clone(),
            community: premise.community.clone(),
            building: premise.building.clone(),
            unit: premise.unit.clone(),
            room: premise.room.clone(),
            address_edited: premise.address != built,
            address: premise.address.clone(),
            latitude: premise.latitude.clone(),
            longitude: premise.longitude.clone(),
        }
    }

    fn built_address(&self) -> String {
        build_address(
            &self.district,
            &self.community,
            &self.building,
            &self.unit,
            &self.room,
        )
    }

    pub fn update(&mut self, message: PremiseMessage) {
        let rebuilds = !matches!(
            message,
            PremiseMessage::Address(_) | PremiseMessage::Latitude(_) | PremiseMessage::Longitude(_)
        );
        match message {
            PremiseMessage::District(value) => self.district = value,
            PremiseMessage::Community(value) => self.community = value,
            PremiseMessage::Building(value) => self.building = value,
            PremiseMessage::Unit(value) => self.unit = value,
            PremiseMessage::Room(value) => self.room = value,
            PremiseMessage::Address(value) => {
                self.address = value;
                self.address_edited = true;
            }
            PremiseMessage::RebuildAddress => self.address_edited = false,
            PremiseMessage::Latitude(value) => self.latitude = value,
            PremiseMessage::Longitude(value) => self.longitude = value,
        }
        if rebuilds && !self.address_edited {
            self.address = self.built_address();
        }
    }

    fn check_coordinates(&self, prefix: &str, errors: &mut FieldErrors) -> (String, String) {
        let latitude = errors.check(path(prefix, "latitude"), coordinate(&self.latitude, 90));
        let longitude = errors.check(path(prefix, "longitude"), coordinate(&self.longitude, 180));
        let (has_latitude, has_longitude) = (
            !self.latitude.trim().is_empty(),
            !self.longitude.trim().is_empty(),
        );
        if has_latitude && !has_longitude {
            errors.insert(path(prefix, "longitude"), FieldError::CoordinatePair);
        } else if has_longitude && !has_latitude {
            errors.insert(path(prefix, "latitude"), FieldError::CoordinatePair);
        }
        (latitude, longitude)
    }

    /// Every field, for a premise to create. District and address are
    /// required; the other parts are not (a shop on a street has no unit).
    pub fn to_new_input(&self, prefix: &str, errors: &mut FieldErrors) -> pb::PremiseInput {
        let at = |field: &str| path(prefix, field);
        let district = errors.check(at("district"), bounded(&self.district, 50));
        let address = errors.check(at("address"), bounded(&self.address, 200));
        let (latitude, longitude) = self.check_coordinates(prefix, errors);
        let optional = |value: String| (!value.is_empty()).then_some(value);
        pb::PremiseInput {
            district: Some(district),
            community: Some(self.community.trim().to_owned()),
            building: Some(self.building.trim().to_owned()),
            unit: Some(self.unit.trim().to_owned()),
            room: Some(self.room.trim().to_owned()),
            address: Some(address),
            latitude: optional(latitude),
            longitude: optional(longitude),
        }
    }

    /// Only what differs from `original`, for an update.
    pub fn to_changes(
        &self,
        original: &PremiseForm,
        prefix: &str,
        errors: &mut FieldErrors,
    ) -> pb::PremiseInput {
        let at = |field: &str| path(prefix, field);
        let changed = |now: &str, before: &str| now.trim() != before.trim();
        let mut changes = pb::PremiseInput::default();
        if changed(&self.district, &original.district) {
            changes.district = Some(errors.check(at("district"), bounded(&self.district, 50)));
        }
        for (now, before, slot) in [
            (&self.community, &original.community, &mut changes.community),
            (&self.building, &original.building, &mut changes.building),
            (&self.unit, &original.unit, &mut changes.unit),
            (&self.room, &original.room, &mut changes.room),
        ] {
            if changed(now, before) {
                *slot = Some(now.trim().to_owned());
            }
        }
        if changed(&self.address, &original.address) {
            changes.address = Some(errors.check(at("address"), bounded(&self.address, 200)));
        }
        let (latitude, longitude) = self.check_coordinates(prefix, errors);
        if changed(&self.latitude, &original.latitude) {
            changes.latitude = Some(latitude);
        }
        if changed(&self.longitude, &original.longitude) {
            changes.longitude = Some(longitude);
        }
        changes
    }

    pub fn view<'a>(&self, context: &FormContext<'_>, prefix: &str) -> Element<'a, PremiseMessage> {
        let language = context.language;
        let at = |field: &str| path(prefix, field);
        let field =
            |label, name: &str, value: &str, required, on_input: fn(String) -> PremiseMessage| {
                text_field(context, label, &at(name), value, required, "", on_input)
            };

        let address_input = text_input("", &self.address)
            .id(context.input_id(&at("address")))
            .padding([6, 8])
            .size(14)
            .style(if context.error(&at("address")).is_some() {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            })
            .on_input_maybe(context.enabled.then_some(PremiseMessage::Address));
        let mut address_row = row![address_input].spacing(8);
        if self.address_edited {
            address_row = address_row.push(
                button(text(tr(language, Key::RebuildAddress)).size(13))
                    .padding([6, 10])
                    .style(theme::button::secondary)
                    .on_press_maybe(context.enabled.then_some(PremiseMessage::RebuildAddress)),
            );
        }
        let address = labelled(context, Key::FullAddress, &at("address"), true, address_row);

        column![
            field_row(vec![
                (
                    2,
                    field(
                        Key::District,
                        "district",
                        &self.district,
                        true,
                        PremiseMessage::District
                    )
                ),
                (
                    3,
                    field(
                        Key::Community,
                        "community",
                        &self.community,
                        false,
                        PremiseMessage::Community
                    )
                ),
                (
                    1,
                    field(
                        Key::Building,
                        "building",
                        &self.building,
                        false,
                        PremiseMessage::Building
                    )
                ),
                (
                    1,
                    field(Key::Unit, "unit", &self.unit, false, PremiseMessage::Unit)
                ),
                (
                    1,
                    field(Key::Room, "room", &self.room, false, PremiseMessage::Room)
                ),
            ]),
            field_row(vec![
                (4, address),
                (
                    1,
                    field(
                        Key::Latitude,
                        "latitude",
                        &self.latitude,
                        false,
                        PremiseMessage::Latitude
                    )
                ),
                (
                    1,
                    field(
                        Key::Longitude,
                        "longitude",
                        &self.longitude,
                        false,
                        PremiseMessage::Longitude
                    )
                ),
            ]),
        ]
        .spacing(4)
        .into()
    }
}

// --- Meter --------------------------------------------------------------------

/// A meter to install (开户, 换表).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterForm {
    pub meter_no: String,
    pub meter_type: Option<pb::MeterType>,
    pub maker: String,
    pub model: String,
    pub size: Option<&'static str>,
    pub digits: String,
    pub initial_reading: String,
    /// Only for IC-card meters.
    pub card_no: String,
}

impl Default for MeterForm {
    fn default() -> Self {
        MeterForm {
            meter_no: String::new(),
            meter_type: None,
            maker: String::new(),
            model: String::new(),
            size: None,
            // Household diaphragm meters count to 99999 m³.
            digits: "5".to_owned(),
            initial_reading: String::new(),
            card_no: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum MeterMessage {
    MeterNo(String),
    MeterType(pb::MeterType),
    Maker(String),
    Model(String),
    Size(&'static str),
    Digits(String),
    InitialReading(String),
    CardNo(String),
}

impl MeterMessage {
    pub fn field(&self) -> &'static str {
        match self {
            MeterMessage::MeterNo(_) => "meter_no",
            MeterMessage::MeterType(_) => "meter_type",
            MeterMessage::Maker(_) => "maker",
            MeterMessage::Model(_) => "model",
            MeterMessage::Size(_) => "size",
            MeterMessage::Digits(_) => "digits",
            MeterMessage::InitialReading(_) => "initial_reading",
            MeterMessage::CardNo(_) => "card_no",
        }
    }
}

impl MeterForm {
    pub fn update(&mut self, message: MeterMessage) {
        match message {
            MeterMessage::MeterNo(value) => self.meter_no = value,
            MeterMessage::MeterType(value) => self.meter_type = Some(value),
            MeterMessage::Maker(value) => self.maker = value,
            MeterMessage::Model(value) => self.model = value,
            MeterMessage::Size(value) => self.size = Some(value),
            MeterMessage::Digits(value) => self.digits = value,
            MeterMessage::InitialReading(value) => self.initial_reading = value,
            MeterMessage::CardNo(value) => self.card_no = value,
        }
    }

    fn is_ic_card(&self) -> bool {
        self.meter_type == Some(pb::MeterType::IcCard)
    }

    pub fn to_input(&self, prefix: &str, errors: &mut FieldErrors) -> pb::MeterInput {
        let at = |field: &str| path(prefix, field);
        let meter_no = errors.check(at("meter_no"), bounded(&self.meter_no, 40));
        let meter_type = match self.meter_type {
            Some(meter_type) => meter_type,
            None => {
                errors.insert(at("meter_type"), FieldError::Required);
                pb::MeterType::Unspecified
            }
        };
        let size = match self.size {
            Some(size) => size.to_owned(),
            None => {
                errors.insert(at("size"), FieldError::Required);
                String::new()
            }
        };
        let digits = errors.check(at("digits"), integer(&self.digits, 4, 10));
        let initial_reading = errors.check(at("initial_reading"), reading(&self.initial_reading));
        let card_no = if self.is_ic_card() {
            errors.check(at("card_no"), bounded(&self.card_no, 40))
        } else {
            String::new()
        };
        pb::MeterInput {
            meter_no,
            meter_type: meter_type as i32,
            maker: self.maker.trim().to_owned(),
            model: self.model.trim().to_owned(),
            size,
            digits,
            initial_reading,
            card_no,
        }
    }

    pub fn view<'a>(&self, context: &FormContext<'_>, prefix: &str) -> Element<'a, MeterMessage> {
        let language = context.language;
        let at = |field: &str| path(prefix, field);
        let size_options: Vec<Choice<&'static str>> = METER_SIZES
            .iter()
            .map(|&size| Choice {
                value: size,
                label: size,
            })
            .collect();

        let mut second_row = vec![
            (
                1,
                text_field(
                    context,
                    Key::Maker,
                    &at("maker"),
                    &self.maker,
                    false,
                    "",
                    MeterMessage::Maker,
                ),
            ),
            (
                1,
                text_field(
                    context,
                    Key::Model,
                    &at("model"),
                    &self.model,
                    false,
                    "",
                    MeterMessage::Model,
                ),
            ),
            (
                1,
                choice_field(
                    context,
                    Key::MeterSize,
                    &at("size"),
                    size_options,
                    self.size,
                    true,
                    MeterMessage::Size,
                ),
            ),
            (
                1,
                text_field(
                    context,
                    Key::Digits,
                    &at("digits"),
                    &self.digits,
                    true,
                    "4–10",
                    MeterMessage::Digits,
                ),
            ),
        ];
        if !self.is_ic_card() {
            second_row.push((1, iced::widget::space::horizontal().into()));
        }

        let mut first_row = vec![
            (
                2,
                text_field(
                    context,
                    Key::MeterNo,
                    &at("meter_no"),
                    &self.meter_no,
                    true,
                    "",
                    MeterMessage::MeterNo,
                ),
            ),
            (
                1,
                choice_field(
                    context,
                    Key::MeterType,
                    &at("meter_type"),
                    choices(language, &METER_TYPES, archive::meter_type),
                    self.meter_type,
                    true,
                    MeterMessage::MeterType,
                ),
            ),
            (
                1,
                text_field(
                    context,
                    Key::InitialReading,
                    &at("initial_reading"),
                    &self.initial_reading,
                    true,
                    "m³",
                    MeterMessage::InitialReading,
                ),
            ),
        ];
        if self.is_ic_card() {
            first_row.push((
                2,
                text_field(
                    context,
                    Key::CardNo,
                    &at("card_no"),
                    &self.card_no,
                    true,
                    "",
                    MeterMessage::CardNo,
                ),
            ));
        } else {
            first_row.push((2, iced::widget::space::horizontal().into()));
        }

        column![field_row(first_row), field_row(second_row)]
            .spacing(4)
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_plain_decimals_with_up_to_three_places() {
        for good in ["0", "12", "12.5", "12.345", " 7.000 ", "000123"] {
            assert_eq!(reading(good), Ok(good.trim().to_owned()), "{good}");
        }
        for bad in [
            "-1", "1.2345", "1,5", "1e3", "", " ", ".5", "5.", "1.2.3", "+3", "１２",
        ] {
            assert!(reading(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(reading(""), Err(FieldError::Required));
        assert_eq!(reading("-1"), Err(FieldError::Reading));
    }

    #[test]
    fn dates_come_back_canonical() {
        assert_eq!(date("2026-3-5"), Ok("2026-03-05".to_owned()));
        assert_eq!(date("2026-02-30"), Err(FieldError::Date));
        assert_eq!(date("05/03/2026"), Err(FieldError::Date));
        assert_eq!(optional_date("  "), Ok(String::new()));
        assert_eq!(date(""), Err(FieldError::Required));
    }

    #[test]
    fn coordinates_stay_in_range() {
        assert_eq!(coordinate("31.224361", 90), Ok("31.224361".to_owned()));
        assert_eq!(coordinate("-121.5", 180), Ok("-121.5".to_owned()));
        assert_eq!(coordinate("90.0", 90), Ok("90.0".to_owned()));
        assert_eq!(coordinate("", 90), Ok(String::new()));
        for bad in ["90.1", "181", "abc", "31.", "1.123456789", "--1"] {
            assert!(
                coordinate(bad, if bad == "181" { 180 } else { 90 }).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn identity_numbers_are_checked_for_their_type() {
        assert_eq!(
            id_number(pb::IdType::ResidentId, "11010519491231002x"),
            Ok("11010519491231002X".to_owned())
        );
        assert_eq!(
            id_number(pb::IdType::ResidentId, "110105194912310021"),
            Err(FieldError::ResidentId(ResidentIdError::CheckDigit {
                expected: 'X',
                found: '1'
            }))
        );
        assert_eq!(
            id_number(pb::IdType::UnifiedSocialCreditCode, "91310000ma1fl8tq2x"),
            Ok("91310000MA1FL8TQ2X".to_owned())
        );
        assert_eq!(
            id_number(pb::IdType::UnifiedSocialCreditCode, "9131"),
            Err(FieldError::CreditCode)
        );
        assert_eq!(id_number(pb::IdType::None, "whatever"), Ok(String::new()));
        assert_eq!(
            id_number(pb::IdType::Passport, ""),
            Err(FieldError::Required)
        );
    }

    #[test]
    fn the_address_is_built_from_its_parts_until_edited() {
        assert_eq!(
            build_address("浦东新区", "阳光花园", "12", "2", "301"),
            "浦东新区阳光花园12栋2单元301室"
        );
        assert_eq!(
            build_address("浦东新区", "阳光花园", "12幢", "2单元", "301室"),
            "浦东新区阳光花园12幢2单元301室"
        );
        assert_eq!(
            build_address("黄浦区", "南京东路100号", "", "", ""),
            "黄浦区南京东路100号"
        );

        let mut form = PremiseForm::default();
        form.update(PremiseMessage::District("浦东新区".into()));
        form.update(PremiseMessage::Community("阳光花园".into()));
        form.update(PremiseMessage::Building("12".into()));
        assert_eq!(form.address, "浦东新区阳光花园12栋");

        form.update(PremiseMessage::Address("浦东新区阳光花园12号楼".into()));
        form.update(PremiseMessage::Unit("2".into()));
        assert_eq!(
            form.address, "浦东新区阳光花园12号楼",
            "edited addresses are kept"
        );

        form.update(PremiseMessage::RebuildAddress);
        assert_eq!(form.address, "浦东新区阳光花园12栋2单元");
    }

    #[test]
    fn organisations_default_to_the_credit_code() {
        let mut form = CustomerForm::default();
        form.update(CustomerMessage::PartyKind(pb::PartyKind::Organisation));
        assert_eq!(form.id_type, pb::IdType::UnifiedSocialCreditCode);
        form.update(CustomerMessage::PartyKind(pb::PartyKind::Person));
        assert_eq!(form.id_type, pb::IdType::ResidentId);
    }

    #[test]
    fn customer_changes_hold_only_what_changed() {
        let original = CustomerForm {
            name: "王芳".into(),
            ..CustomerForm::default()
        };
        let mut edited = original.clone();
        edited.name = "王芳芳".into();
        edited.phone = "138 1234 5678".into();

        let mut errors = FieldErrors::new();
        let changes = edited.to_changes(&original, false, "changes", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            changes,
            pb::CustomerInput {
                name: Some("王芳芳".into()),
                phone: Some("13812345678".into()),
                ..pb::CustomerInput::default()
            }
        );

        let mut errors = FieldErrors::new();
        let removal = original.to_changes(&original, true, "changes", &mut errors);
        assert_eq!(removal.phone2, Some(String::new()));

        let mut new_type = original.clone();
        new_type.id_type = pb::IdType::Passport;
        let mut errors = FieldErrors::new();
        let _ = new_type.to_changes(&original, false, "changes", &mut errors);
        assert_eq!(errors.get("changes.id_number"), Some(&FieldError::Required));
    }

    #[test]
    fn meters_need_a_card_number_only_for_ic_cards() {
        let mut form = MeterForm {
            meter_no: "JK2025-001".into(),
            meter_type: Some(pb::MeterType::Mechanical),
            size: Some("G2.5"),
            initial_reading: "0".into(),
            ..MeterForm::default()
        };
        let mut errors = FieldErrors::new();
        let input = form.to_input("meter", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.digits, 5);
        assert_eq!(input.card_no, "");

        form.meter_type = Some(pb::MeterType::IcCard);
        let mut errors = FieldErrors::new();
        let _ = form.to_input("meter", &mut errors);
        assert_eq!(errors.get("meter.card_no"), Some(&FieldError::Required));
    }

    #[test]
    fn quiet_errors_wait_for_a_submit() {
        let mut validation = FieldErrors::new();
        validation.insert("a", FieldError::Required);
        validation.insert("b", FieldError::Phone);
        let server = FieldErrors::new();
        let context = FormContext {
            language: Language::SimplifiedChinese,
            id_prefix: "test",
            validation: &validation,
            server: &server,
            attempted: false,
            enabled: true,
        };
        assert_eq!(context.error("a"), None);
        assert_eq!(context.error("b"), Some(&FieldError::Phone));
        let attempted = FormContext {
            attempted: true,
            ..context
        };
        assert_eq!(attempted.error("a"), Some(&FieldError::Required));
    }
}
