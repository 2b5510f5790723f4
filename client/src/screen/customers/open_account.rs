//! 开户: the open-account form. Customer, premise, meter, contract and the
//! account's own facts in one request, with a fresh idempotency key per form
//! so that a resend after a lost answer cannot open the account twice.

use gascis_common::proto::v1 as pb;
use iced::widget::{checkbox, column, container, row, text};
use iced::{Element, Length};

use super::form::{
    self, CustomerForm, CustomerMessage, FieldError, FieldErrors, FormContext, MeterForm,
    MeterMessage, PremiseForm, PremiseMessage, choice_field, choices, field_row, labelled, section,
    text_field,
};
use super::picker::{self, CustomerPicker};
use crate::i18n::archive::{self, Key};
use crate::i18n::tr;
use crate::theme;

/// The id prefix of the form's inputs: `open.meter.meter_no`.
pub const ID_PREFIX: &str = "open";

/// The form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAccountForm {
    /// 新客户 (the `customer` fields) or 已有客户 (looked up).
    pub holder: CustomerPicker,
    pub customer: CustomerForm,
    pub premise: PremiseForm,
    pub meter: MeterForm,
    pub contract_no: String,
    pub signed_on: String,
    pub gas_purpose: Option<pb::GasPurpose>,
    pub household_size: String,
    pub low_income: bool,
    pub opened_on: String,
    /// Made when the form is, reused by every resend of this form.
    pub idempotency_key: String,
}

#[derive(Debug, Clone)]
pub enum Message {
    Holder(picker::Message),
    Customer(CustomerMessage),
    Premise(PremiseMessage),
    Meter(MeterMessage),
    ContractNo(String),
    SignedOn(String),
    GasPurpose(pb::GasPurpose),
    HouseholdSize(String),
    LowIncome(bool),
    OpenedOn(String),
}

impl Message {
    /// The proto path of the field the message edits.
    pub fn path(&self) -> String {
        match self {
            Message::Holder(_) => picker::FIELD.to_owned(),
            Message::Customer(message) => form::path("new_customer", message.field()),
            Message::Premise(message) => form::path("premise", message.field()),
            Message::Meter(message) => form::path("meter", message.field()),
            Message::ContractNo(_) => "contract.contract_no".to_owned(),
            Message::SignedOn(_) => "contract.signed_on".to_owned(),
            Message::GasPurpose(_) => "contract.gas_purpose".to_owned(),
            Message::HouseholdSize(_) => "household_size".to_owned(),
            Message::LowIncome(_) => "low_income".to_owned(),
            Message::OpenedOn(_) => "opened_on".to_owned(),
        }
    }

    /// Whether the user did it (not a lookup's answer).
    pub fn is_edit(&self) -> bool {
        match self {
            Message::Holder(message) => message.is_edit(),
            _ => true,
        }
    }
}

impl OpenAccountForm {
    /// An empty form with its own idempotency key.
    pub fn new(idempotency_key: String) -> Self {
        OpenAccountForm {
            holder: CustomerPicker::default(),
            customer: CustomerForm::default(),
            premise: PremiseForm::default(),
            meter: MeterForm::default(),
            contract_no: String::new(),
            signed_on: String::new(),
            gas_purpose: Some(pb::GasPurpose::Cooking),
            household_size: String::new(),
            low_income: false,
            opened_on: String::new(),
            idempotency_key,
        }
    }

    /// Household size and 低保 follow the customer's type: of the chosen
    /// customer, or of the new one. Until one is chosen the household
    /// fields stay, as most accounts are households.
    fn is_residential(&self) -> bool {
        match (self.holder.uses_existing(), &self.holder.chosen) {
            (true, None) => true,
            _ => self.holder.customer_type(&self.customer) == pb::CustomerType::Residential,
        }
    }

    /// Edits the form; a lookup of an existing customer is asked for in the
    /// action.
    pub fn update(&mut self, message: Message) -> picker::Action {
        match message {
            Message::Holder(message) => return self.holder.update(message),
            Message::Customer(message) => self.customer.update(message),
            Message::Premise(message) => self.premise.update(message),
            Message::Meter(message) => self.meter.update(message),
            Message::ContractNo(value) => self.contract_no = value,
            Message::SignedOn(value) => self.signed_on = value,
            Message::GasPurpose(value) => self.gas_purpose = Some(value),
            Message::HouseholdSize(value) => self.household_size = value,
            Message::LowIncome(value) => self.low_income = value,
            Message::OpenedOn(value) => self.opened_on = value,
        }
        picker::Action::None
    }

    /// The request to send, or every problem that blocks it.
    pub fn to_request(&self) -> Result<pb::OpenAccountRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (existing_customer_id, new_customer) =
            self.holder
                .customer_of(&self.customer, "new_customer", None, &mut errors);
        let premise = self.premise.to_new_input("premise", &mut errors);
        let meter = self.meter.to_input("meter", &mut errors);

        let signed_on = errors.check(
            "contract.signed_on".into(),
            form::optional_date(&self.signed_on),
        );
        let gas_purpose = match self.gas_purpose {
            Some(purpose) => purpose,
            None => {
                errors.insert("contract.gas_purpose", FieldError::Required);
                pb::GasPurpose::Unspecified
            }
        };
        let contract = pb::ContractInput {
            contract_no: self.contract_no.trim().to_owned(),
            signed_on,
            gas_purpose: gas_purpose as i32,
            price_policy: String::new(),
        };

        // Household size and 低保 only mean something for households.
        let (household_size, low_income) = if self.is_residential() {
            (
                errors.check(
                    "household_size".into(),
                    form::integer(&self.household_size, 1, 50),
                ),
                self.low_income,
            )
        } else {
            (0, false)
        };
        let opened_on = errors.check("opened_on".into(), form::optional_date(&self.opened_on));

        errors.into_result(pb::OpenAccountRequest {
            existing_customer_id,
            new_customer,
            premise: Some(premise),
            meter: Some(meter),
            contract: Some(contract),
            household_size,
            low_income,
            opened_on,
            idempotency_key: self.idempotency_key.clone(),
        })
    }

    /// The fields, in four sections.
    pub fn view<'a>(&self, context: &FormContext<'_>) -> Element<'a, Message> {
        let language = context.language;
        let residential = self.is_residential();

        let household: Element<'a, Message> = if residential {
            text_field(
                context,
                Key::HouseholdSize,
                "household_size",
                &self.household_size,
                true,
                "1–50",
                Message::HouseholdSize,
            )
        } else {
            iced::widget::space::horizontal().into()
        };
        let low_income: Element<'a, Message> = if residential {
            labelled(
                context,
                Key::LowIncome,
                "low_income",
                false,
                container(
                    checkbox(self.low_income)
                        .label(tr(language, Key::LowIncomeHousehold))
                        .size(16)
                        .text_size(14)
                        .on_toggle_maybe(context.enabled.then_some(Message::LowIncome)),
                )
                .padding([6, 0]),
            )
        } else {
            iced::widget::space::horizontal().into()
        };
        let contract_and_account = field_row(vec![
            (
                4,
                text_field(
                    context,
                    Key::ContractNo,
                    "contract.contract_no",
                    &self.contract_no,
                    false,
                    tr(language, Key::GeneratedWhenEmpty),
                    Message::ContractNo,
                ),
            ),
            (
                3,
                text_field(
                    context,
                    Key::SignedOn,
                    "contract.signed_on",
                    &self.signed_on,
                    false,
                    tr(language, Key::TodayWhenEmpty),
                    Message::SignedOn,
                ),
            ),
            (
                4,
                choice_field(
                    context,
                    Key::GasPurpose,
                    "contract.gas_purpose",
                    choices(language, &form::GAS_PURPOSES, archive::gas_purpose),
                    self.gas_purpose,
                    true,
                    Message::GasPurpose,
                ),
            ),
            (2, household),
            (2, low_income),
            (
                3,
                text_field(
                    context,
                    Key::OpenedOn,
                    "opened_on",
                    &self.opened_on,
                    false,
                    tr(language, Key::TodayWhenEmpty),
                    Message::OpenedOn,
                ),
            ),
        ]);

        let customer: Element<'a, Message> = if self.holder.uses_existing() {
            self.holder.view(context, None).map(Message::Holder)
        } else {
            self.customer
                .view(context, "new_customer", None)
                .map(Message::Customer)
        };

        column![
            section(language, Key::SectionCustomer),
            self.holder.kind_view(language).map(Message::Holder),
            customer,
            section(language, Key::SectionPremise),
            self.premise.view(context, "premise").map(Message::Premise),
            section(language, Key::SectionMeter),
            self.meter.view(context, "meter").map(Message::Meter),
            section(language, Key::SectionContractAndAccount),
            contract_and_account,
            row![
                text(format!(
                    "{} {}",
                    tr(language, Key::IdempotencyKey),
                    self.idempotency_key
                ))
                .size(11)
                .style(theme::text::muted)
            ]
            .width(Length::Fill),
        ]
        .spacing(10)
        .into()
    }

    /// Problems found while typing.
    pub fn validation(&self) -> FieldErrors {
        self.to_request().err().unwrap_or_default()
    }
}

/// A key no other form on any counter will make: the time to the
/// nanosecond, the process and a per-process count, mixed with the random
/// keys the standard library seeds from the operating system.
pub fn new_idempotency_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNT: AtomicU64 = AtomicU64::new(0);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let random = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u64(count);
        hasher.write_u32(std::process::id());
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!("open-{:x}-{:016x}{:016x}", nanos, random(1), random(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete form of a household in Shanghai.
    pub fn filled() -> OpenAccountForm {
        let mut form = OpenAccountForm::new("open-test-key".into());
        for message in [
            Message::Customer(CustomerMessage::Name("王芳".into())),
            Message::Customer(CustomerMessage::IdNumber("11010519491231002X".into())),
            Message::Customer(CustomerMessage::Phone("138-1234-5678".into())),
            Message::Premise(PremiseMessage::District("浦东新区".into())),
            Message::Premise(PremiseMessage::Community("阳光花园".into())),
            Message::Premise(PremiseMessage::Building("12".into())),
            Message::Premise(PremiseMessage::Unit("2".into())),
            Message::Premise(PremiseMessage::Room("301".into())),
            Message::Meter(MeterMessage::MeterNo("JK2025000123".into())),
            Message::Meter(MeterMessage::MeterType(pb::MeterType::Mechanical)),
            Message::Meter(MeterMessage::Size("G2.5")),
            Message::Meter(MeterMessage::InitialReading("0.000".into())),
            Message::HouseholdSize("3".into()),
        ] {
            form.update(message);
        }
        form
    }

    #[test]
    fn a_complete_form_becomes_its_request() {
        let request = filled().to_request().unwrap_or_default();
        let customer = request.new_customer.unwrap_or_default();
        assert_eq!(customer.name.as_deref(), Some("王芳"));
        assert_eq!(customer.phone.as_deref(), Some("13812345678"));
        assert_eq!(customer.phone2, None);
        assert_eq!(
            request
                .premise
                .and_then(|premise| premise.address)
                .as_deref(),
            Some("浦东新区阳光花园12栋2单元301室")
        );
        let meter = request.meter.unwrap_or_default();
        assert_eq!(
            (meter.meter_no.as_str(), meter.size.as_str(), meter.digits),
            ("JK2025000123", "G2.5", 5)
        );
        assert_eq!(request.household_size, 3);
        assert_eq!(request.idempotency_key, "open-test-key");
        assert_eq!(request.opened_on, "");
    }

    #[test]
    fn an_empty_form_names_every_required_field() {
        let errors = OpenAccountForm::new("k".into())
            .to_request()
            .err()
            .unwrap_or_default();
        let paths: Vec<&str> = errors.paths().collect();
        for required in [
            "new_customer.name",
            "new_customer.id_number",
            "new_customer.phone",
            "premise.district",
            "premise.address",
            "meter.meter_no",
            "meter.meter_type",
            "meter.size",
            "meter.initial_reading",
            "household_size",
        ] {
            assert!(
                paths.contains(&required),
                "{required} missing from {paths:?}"
            );
        }
    }

    #[test]
    fn businesses_have_no_household() {
        let mut form = filled();
        form.update(Message::Customer(CustomerMessage::CustomerType(
            pb::CustomerType::Commercial,
        )));
        form.update(Message::HouseholdSize(String::new()));
        form.update(Message::LowIncome(true));
        let request = form.to_request().unwrap_or_default();
        assert_eq!((request.household_size, request.low_income), (0, false));
    }

    /// The form filled for another account of a customer on record: the
    /// premise, meter and household only, then 王芳 chosen from a lookup.
    fn for_existing_customer(customer_type: pb::CustomerType) -> OpenAccountForm {
        let mut form = OpenAccountForm::new("open-test-key".into());
        for message in [
            Message::Premise(PremiseMessage::District("浦东新区".into())),
            Message::Premise(PremiseMessage::Community("阳光花园".into())),
            Message::Premise(PremiseMessage::Building("14".into())),
            Message::Meter(MeterMessage::MeterNo("JK2025000999".into())),
            Message::Meter(MeterMessage::MeterType(pb::MeterType::Mechanical)),
            Message::Meter(MeterMessage::Size("G4")),
            Message::Meter(MeterMessage::InitialReading("0".into())),
            Message::HouseholdSize("2".into()),
            Message::Holder(picker::Message::Kind(picker::HolderKind::Existing)),
            Message::Holder(picker::Message::Query("王芳".into())),
        ] {
            let _ = form.update(message);
        }
        let picker::Action::Search(request) = form.update(Message::Holder(picker::Message::Search))
        else {
            panic!("the lookup is asked for");
        };
        let _ = form.update(Message::Holder(picker::Message::Searched {
            query: request.query,
            result: Ok(pb::SearchAccountsResponse {
                results: vec![pb::AccountSummary {
                    account_id: 41,
                    account_no: "3101000123".into(),
                    customer_name: "王芳".into(),
                    customer_type: customer_type as i32,
                    customer_id: 9,
                    ..pb::AccountSummary::default()
                }],
                ..pb::SearchAccountsResponse::default()
            }),
        }));
        form
    }

    #[test]
    fn an_existing_customer_needs_no_customer_fields() {
        let mut form = for_existing_customer(pb::CustomerType::Residential);
        let errors = form.validation();
        assert_eq!(
            errors.paths().collect::<Vec<_>>(),
            [picker::FIELD],
            "only the choice is missing, not the hidden new-customer fields"
        );
        assert_eq!(
            errors.get(picker::FIELD),
            Some(&FieldError::NoCustomerChosen)
        );

        let _ = form.update(Message::Holder(picker::Message::Choose(0)));
        let request = form.to_request();
        assert!(request.is_ok(), "{request:?}");
        let request = request.unwrap_or_default();
        assert_eq!(request.existing_customer_id, 9);
        assert_eq!(request.new_customer, None);
        assert_eq!(request.household_size, 2);
        assert_eq!(request.idempotency_key, "open-test-key");

        // Typed new-customer fields are kept but not sent.
        let _ = form.update(Message::Customer(CustomerMessage::Name("赵明".into())));
        assert_eq!(
            form.to_request().map(|request| request.new_customer),
            Ok(None)
        );

        // Back to 新客户: its fields count again.
        let _ = form.update(Message::Holder(picker::Message::Kind(
            picker::HolderKind::New,
        )));
        let errors = form.validation();
        assert!(errors.get("new_customer.id_number").is_some(), "{errors:?}");
        assert!(errors.get(picker::FIELD).is_none());
    }

    #[test]
    fn a_business_on_record_has_no_household() {
        let mut form = for_existing_customer(pb::CustomerType::Commercial);
        let _ = form.update(Message::Holder(picker::Message::Choose(0)));
        let _ = form.update(Message::HouseholdSize(String::new()));
        let request = form.to_request().unwrap_or_default();
        assert_eq!(
            (request.existing_customer_id, request.household_size),
            (9, 0)
        );
    }

    #[test]
    fn idempotency_keys_differ() {
        let keys: std::collections::HashSet<String> =
            (0..1000).map(|_| new_idempotency_key()).collect();
        assert_eq!(keys.len(), 1000);
    }
}
