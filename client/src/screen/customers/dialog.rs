//! The dialogs over an account's detail: the lifecycle calls (过户, 销户,
//! 报停/复用, 换表, 人口登记), the edits of customer, premise and account,
//! and the reason asked before personal data is shown in clear.
//!
//! Each dialog builds its request with [`Dialog::to_request`] from what was
//! typed and the account as last loaded (whose versions it sends back as
//! `expected_version`), so a reload after a conflict updates the versions
//! while the typed values stay.

use gascis_common::proto::v1 as pb;
use iced::widget::{button, checkbox, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length};

use super::form::{
    self, CustomerForm, CustomerMessage, FieldError, FieldErrors, FormContext, KeptPii, MeterForm,
    MeterMessage, PremiseForm, PremiseMessage, field_row, labelled, section, text_field,
};
use super::picker::{self, CustomerPicker};
use crate::api::ApiError;
use crate::i18n::archive::{self, Key};
use crate::i18n::{self, Language, tr};
use crate::secret::Secret;
use crate::theme;

/// The id prefix of dialog inputs: `dialog.reason`.
pub const ID_PREFIX: &str = "dialog";
/// The ids of the approval dialog's inputs.
pub const APPROVAL_USERNAME_INPUT: &str = "approval.username";
pub const APPROVAL_PASSWORD_INPUT: &str = "approval.password";

/// Which dialog to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Transfer,
    Close,
    /// 报停 when active, 复用 when suspended.
    Suspend,
    ReplaceMeter,
    Household,
    EditCustomer,
    EditPremise,
    EditAccount,
    /// Changes the newest contract.
    EditContract,
    /// Asks why before showing identity number and phones in clear.
    Reveal,
}

/// What is typed in the open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    Transfer {
        final_reading: String,
        /// 新客户 (`new_customer`) or 已有客户 as the new holder.
        holder: CustomerPicker,
        new_customer: CustomerForm,
        carry_arrears: bool,
        transferred_on: String,
    },
    Close {
        final_reading: String,
        closed_on: String,
        confirmed: bool,
    },
    Suspend {
        /// true to suspend, false to resume.
        suspend: bool,
    },
    ReplaceMeter {
        old_final_reading: String,
        new_meter: MeterForm,
        replaced_on: String,
    },
    Household {
        household_size: String,
        effective_from: String,
    },
    EditCustomer {
        original: CustomerForm,
        edited: CustomerForm,
        remove_phone2: bool,
    },
    EditPremise {
        original: PremiseForm,
        edited: PremiseForm,
    },
    EditAccount {
        original_low_income: bool,
        low_income: bool,
        original_tariff_code: String,
        tariff_code: String,
        original_notices_opt_out: bool,
        notices_opt_out: bool,
    },
    EditContract {
        contract_id: i64,
        original: ContractFields,
        edited: ContractFields,
    },
    Reveal,
}

/// The fields of a contract that can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFields {
    pub signed_on: String,
    pub gas_purpose: pb::GasPurpose,
    pub price_policy: String,
}

impl ContractFields {
    fn of(contract: &pb::Contract) -> Self {
        ContractFields {
            signed_on: contract.signed_on.clone(),
            gas_purpose: contract.gas_purpose(),
            price_policy: contract.price_policy.clone(),
        }
    }
}

/// The contract a contract dialog is about: the newest.
fn newest_contract(detail: &pb::AccountDetail) -> pb::Contract {
    detail.contracts.first().cloned().unwrap_or_default()
}

/// The supervisor's credentials, asked when the server wants an approval.
#[derive(Debug, Clone, Default)]
pub struct ApprovalForm {
    pub username: String,
    pub password: Secret,
    pub problem: Option<ApiError>,
}

/// An open dialog.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub fields: Fields,
    pub reason: String,
    /// Whether the user tried to submit (missing values are shown from then).
    pub attempted: bool,
    /// Problems the server named at the last submit.
    pub server_errors: FieldErrors,
    /// The last failure not tied to one field.
    pub problem: Option<ApiError>,
    pub submitting: bool,
    /// Shown while the server wants a supervisor's approval.
    pub approval: Option<ApprovalForm>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Reason(String),
    /// The final reading of a transfer or closure, or the old meter's.
    FinalReading(String),
    /// The date of the action.
    Date(String),
    HouseholdSize(String),
    TariffCode(String),
    PricePolicy(String),
    GasPurpose(pb::GasPurpose),
    CarryArrears(bool),
    Confirmed(bool),
    LowIncome(bool),
    NoticesOptOut(bool),
    RemovePhone2(bool),
    Customer(CustomerMessage),
    /// The choice of the new holder of a transfer.
    Holder(picker::Message),
    Premise(PremiseMessage),
    Meter(MeterMessage),
    ApprovalUsername(String),
    ApprovalPassword(Secret),
}

impl Message {
    /// Whether the user did it (not a lookup's answer).
    pub fn is_edit(&self) -> bool {
        match self {
            Message::Holder(message) => message.is_edit(),
            _ => true,
        }
    }
}

/// A dialog's request, ready for the api.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Transfer(pb::TransferAccountRequest),
    Close(pb::CloseAccountRequest),
    Suspend(pb::SetAccountSuspendedRequest),
    ReplaceMeter(pb::ReplaceMeterRequest),
    Household(pb::RegisterHouseholdRequest),
    UpdateCustomer(pb::UpdateCustomerRequest),
    UpdatePremise(pb::UpdatePremiseRequest),
    UpdateAccount(pb::UpdateAccountRequest),
    UpdateContract(pb::UpdateContractRequest),
    Reveal { customer_id: i64, reason: String },
}

fn account(detail: &pb::AccountDetail) -> pb::Account {
    detail.account.clone().unwrap_or_default()
}

impl Dialog {
    /// A dialog of `kind` for the account in `detail`.
    pub fn new(kind: Kind, detail: &pb::AccountDetail) -> Self {
        let account = account(detail);
        let fields = match kind {
            Kind::Transfer => Fields::Transfer {
                final_reading: String::new(),
                holder: CustomerPicker::default(),
                new_customer: CustomerForm::default(),
                carry_arrears: false,
                transferred_on: String::new(),
            },
            Kind::Close => Fields::Close {
                final_reading: String::new(),
                closed_on: String::new(),
                confirmed: false,
            },
            Kind::Suspend => Fields::Suspend {
                suspend: account.status() != pb::AccountStatus::Suspended,
            },
            Kind::ReplaceMeter => Fields::ReplaceMeter {
                old_final_reading: String::new(),
                new_meter: MeterForm::default(),
                replaced_on: String::new(),
            },
            Kind::Household => Fields::Household {
                household_size: match account.household_size {
                    0 => String::new(),
                    size => size.to_string(),
                },
                effective_from: String::new(),
            },
            Kind::EditCustomer => {
                let original =
                    CustomerForm::from_customer(&detail.customer.clone().unwrap_or_default());
                Fields::EditCustomer {
                    edited: original.clone(),
                    original,
                    remove_phone2: false,
                }
            }
            Kind::EditPremise => {
                let original =
                    PremiseForm::from_premise(&detail.premise.clone().unwrap_or_default());
                Fields::EditPremise {
                    edited: original.clone(),
                    original,
                }
            }
            Kind::EditAccount => Fields::EditAccount {
                original_low_income: account.low_income,
                low_income: account.low_income,
                original_tariff_code: account.tariff_code.clone(),
                tariff_code: account.tariff_code,
                original_notices_opt_out: account.notices_opt_out,
                notices_opt_out: account.notices_opt_out,
            },
            Kind::EditContract => {
                let contract = newest_contract(detail);
                let original = ContractFields::of(&contract);
                Fields::EditContract {
                    contract_id: contract.id,
                    edited: original.clone(),
                    original,
                }
            }
            Kind::Reveal => Fields::Reveal,
        };
        Dialog {
            fields,
            reason: String::new(),
            attempted: false,
            server_errors: FieldErrors::new(),
            problem: None,
            submitting: false,
            approval: None,
        }
    }

    pub fn kind(&self) -> Kind {
        match self.fields {
            Fields::Transfer { .. } => Kind::Transfer,
            Fields::Close { .. } => Kind::Close,
            Fields::Suspend { .. } => Kind::Suspend,
            Fields::ReplaceMeter { .. } => Kind::ReplaceMeter,
            Fields::Household { .. } => Kind::Household,
            Fields::EditCustomer { .. } => Kind::EditCustomer,
            Fields::EditPremise { .. } => Kind::EditPremise,
            Fields::EditAccount { .. } => Kind::EditAccount,
            Fields::EditContract { .. } => Kind::EditContract,
            Fields::Reveal => Kind::Reveal,
        }
    }

    /// The id of the input that gets the focus when the dialog opens.
    pub fn first_input(&self) -> String {
        let first = match &self.fields {
            Fields::Transfer { .. } | Fields::Close { .. } => "final_reading",
            Fields::ReplaceMeter { .. } => "old_final_reading",
            Fields::Household { .. } => "household_size",
            Fields::EditCustomer { .. } => "changes.name",
            Fields::EditPremise { .. } => "changes.district",
            Fields::EditAccount { .. } => "tariff_code",
            Fields::EditContract { .. } => "signed_on",
            Fields::Suspend { .. } | Fields::Reveal => "reason",
        };
        form::input_id(ID_PREFIX, first)
    }

    /// The proto path a message edits, whose server error it clears.
    fn path_of(&self, message: &Message) -> Option<String> {
        let path = match (message, &self.fields) {
            (Message::Reason(_), _) => "reason".to_owned(),
            (Message::FinalReading(_), Fields::ReplaceMeter { .. }) => {
                "old_final_reading".to_owned()
            }
            (Message::FinalReading(_), _) => "final_reading".to_owned(),
            (Message::Date(_), Fields::Transfer { .. }) => "transferred_on".to_owned(),
            (Message::Date(_), Fields::Close { .. }) => "closed_on".to_owned(),
            (Message::Date(_), Fields::ReplaceMeter { .. }) => "replaced_on".to_owned(),
            (Message::Date(_), Fields::EditContract { .. }) => "signed_on".to_owned(),
            (Message::Date(_), _) => "effective_from".to_owned(),
            (Message::HouseholdSize(_), _) => "household_size".to_owned(),
            (Message::TariffCode(_), _) => "tariff_code".to_owned(),
            (Message::PricePolicy(_), _) => "price_policy".to_owned(),
            (Message::GasPurpose(_), _) => "gas_purpose".to_owned(),
            (Message::LowIncome(_), _) => "low_income".to_owned(),
            (Message::NoticesOptOut(_), _) => "notices_opt_out".to_owned(),
            (Message::CarryArrears(_), _) => "carry_arrears".to_owned(),
            (Message::Confirmed(_), _) => "confirm".to_owned(),
            (Message::RemovePhone2(_), _) => "changes.phone2".to_owned(),
            (Message::Customer(message), Fields::Transfer { .. }) => {
                form::path("new_customer", message.field())
            }
            (Message::Holder(message), _) if message.is_edit() => picker::FIELD.to_owned(),
            (Message::Holder(_), _) => return None,
            (Message::Customer(message), _) => form::path("changes", message.field()),
            (Message::Premise(message), _) => form::path("changes", message.field()),
            (Message::Meter(message), _) => form::path("new_meter", message.field()),
            (Message::ApprovalUsername(_) | Message::ApprovalPassword(_), _) => return None,
        };
        Some(path)
    }

    /// Edits the dialog; a lookup of an existing customer is asked for in
    /// the action.
    pub fn update(&mut self, message: Message) -> picker::Action {
        if let Some(path) = self.path_of(&message) {
            self.server_errors.remove(&path);
            // A change is something to submit again.
            self.server_errors.remove("changes");
        }
        match (message, &mut self.fields) {
            (Message::Holder(message), Fields::Transfer { holder, .. }) => {
                return holder.update(message);
            }
            (Message::Reason(value), _) => self.reason = value,
            (
                Message::FinalReading(value),
                Fields::Transfer { final_reading, .. } | Fields::Close { final_reading, .. },
            ) => *final_reading = value,
            (
                Message::FinalReading(value),
                Fields::ReplaceMeter {
                    old_final_reading, ..
                },
            ) => {
                *old_final_reading = value;
            }
            (
                Message::Date(value),
                Fields::Transfer {
                    transferred_on: date,
                    ..
                }
                | Fields::Close {
                    closed_on: date, ..
                }
                | Fields::ReplaceMeter {
                    replaced_on: date, ..
                }
                | Fields::Household {
                    effective_from: date,
                    ..
                },
            ) => *date = value,
            (Message::HouseholdSize(value), Fields::Household { household_size, .. }) => {
                *household_size = value;
            }
            (Message::TariffCode(value), Fields::EditAccount { tariff_code, .. }) => {
                *tariff_code = value;
            }
            (Message::Date(value), Fields::EditContract { edited, .. }) => edited.signed_on = value,
            (Message::PricePolicy(value), Fields::EditContract { edited, .. }) => {
                edited.price_policy = value;
            }
            (Message::GasPurpose(value), Fields::EditContract { edited, .. }) => {
                edited.gas_purpose = value;
            }
            (Message::CarryArrears(value), Fields::Transfer { carry_arrears, .. }) => {
                *carry_arrears = value;
            }
            (Message::Confirmed(value), Fields::Close { confirmed, .. }) => *confirmed = value,
            (Message::LowIncome(value), Fields::EditAccount { low_income, .. }) => {
                *low_income = value;
            }
            (
                Message::NoticesOptOut(value),
                Fields::EditAccount {
                    notices_opt_out, ..
                },
            ) => *notices_opt_out = value,
            (
                Message::RemovePhone2(value),
                Fields::EditCustomer {
                    remove_phone2,
                    edited,
                    ..
                },
            ) => {
                *remove_phone2 = value;
                if value {
                    edited.phone2.clear();
                }
            }
            (Message::Customer(message), Fields::Transfer { new_customer, .. }) => {
                new_customer.update(message);
            }
            (Message::Customer(message), Fields::EditCustomer { edited, .. }) => {
                edited.update(message);
            }
            (Message::Premise(message), Fields::EditPremise { edited, .. }) => {
                edited.update(message);
            }
            (Message::Meter(message), Fields::ReplaceMeter { new_meter, .. }) => {
                new_meter.update(message);
            }
            (Message::ApprovalUsername(value), _) => {
                if let Some(approval) = &mut self.approval {
                    approval.username = value;
                }
            }
            (Message::ApprovalPassword(value), _) => {
                if let Some(approval) = &mut self.approval {
                    approval.password = value;
                }
            }
            // A message of another dialog, left over from one just closed.
            _ => {}
        }
        picker::Action::None
    }

    /// The new-holder choice of a transfer dialog.
    pub fn picker(&self) -> Option<&CustomerPicker> {
        match &self.fields {
            Fields::Transfer { holder, .. } => Some(holder),
            _ => None,
        }
    }

    /// The request to send for the account in `detail`, or what blocks it.
    pub fn to_request(&self, detail: &pb::AccountDetail) -> Result<Request, FieldErrors> {
        let account = account(detail);
        let (account_id, expected_version) = (account.id, account.version);
        let mut errors = FieldErrors::new();
        let reason = errors.check("reason".into(), form::bounded(&self.reason, 500));

        let request = match &self.fields {
            Fields::Transfer {
                final_reading,
                holder,
                new_customer,
                carry_arrears,
                transferred_on,
            } => {
                let final_reading =
                    errors.check("final_reading".into(), form::reading(final_reading));
                // The server refuses the holder as their own successor too
                // (naming `existing_customer_id`); saying it before the
                // submit spares a round trip and an approval.
                let current_holder = detail.customer.as_ref().map(|customer| customer.id);
                let (existing_customer_id, new_customer) =
                    holder.customer_of(new_customer, "new_customer", current_holder, &mut errors);
                Request::Transfer(pb::TransferAccountRequest {
                    account_id,
                    expected_version,
                    final_reading,
                    existing_customer_id,
                    new_customer,
                    carry_arrears: *carry_arrears,
                    approval: None,
                    transferred_on: errors
                        .check("transferred_on".into(), form::optional_date(transferred_on)),
                    reason,
                })
            }
            Fields::Close {
                final_reading,
                closed_on,
                confirmed,
            } => {
                if !confirmed {
                    errors.insert("confirm", FieldError::NotConfirmed);
                }
                Request::Close(pb::CloseAccountRequest {
                    account_id,
                    expected_version,
                    final_reading: errors
                        .check("final_reading".into(), form::reading(final_reading)),
                    closed_on: errors.check("closed_on".into(), form::optional_date(closed_on)),
                    reason,
                })
            }
            Fields::Suspend { suspend } => Request::Suspend(pb::SetAccountSuspendedRequest {
                account_id,
                expected_version,
                suspended: *suspend,
                reason,
            }),
            Fields::ReplaceMeter {
                old_final_reading,
                new_meter,
                replaced_on,
            } => Request::ReplaceMeter(pb::ReplaceMeterRequest {
                account_id,
                expected_version,
                old_final_reading: errors
                    .check("old_final_reading".into(), form::reading(old_final_reading)),
                new_meter: Some(new_meter.to_input("new_meter", &mut errors)),
                replaced_on: errors.check("replaced_on".into(), form::optional_date(replaced_on)),
                reason,
            }),
            Fields::Household {
                household_size,
                effective_from,
            } => Request::Household(pb::RegisterHouseholdRequest {
                account_id,
                expected_version,
                household_size: errors.check(
                    "household_size".into(),
                    form::integer(household_size, 1, 50),
                ),
                effective_from: errors.check("effective_from".into(), form::date(effective_from)),
                reason,
            }),
            Fields::EditCustomer {
                original,
                edited,
                remove_phone2,
            } => {
                let customer = detail.customer.clone().unwrap_or_default();
                let changes = edited.to_changes(original, *remove_phone2, "changes", &mut errors);
                if changes == pb::CustomerInput::default() {
                    errors.insert("changes", FieldError::NothingChanged);
                }
                Request::UpdateCustomer(pb::UpdateCustomerRequest {
                    customer_id: customer.id,
                    expected_version: customer.version,
                    changes: Some(changes),
                    reason,
                    account_id,
                })
            }
            Fields::EditPremise { original, edited } => {
                let premise = detail.premise.clone().unwrap_or_default();
                let changes = edited.to_changes(original, "changes", &mut errors);
                if changes == pb::PremiseInput::default() {
                    errors.insert("changes", FieldError::NothingChanged);
                }
                Request::UpdatePremise(pb::UpdatePremiseRequest {
                    premise_id: premise.id,
                    expected_version: premise.version,
                    changes: Some(changes),
                    reason,
                    account_id,
                })
            }
            Fields::EditAccount {
                original_low_income,
                low_income,
                original_tariff_code,
                tariff_code,
                original_notices_opt_out,
                notices_opt_out,
            } => {
                let low_income = (low_income != original_low_income).then_some(*low_income);
                let tariff_code = (tariff_code.trim() != original_tariff_code.trim())
                    .then(|| tariff_code.trim().to_owned());
                let notices_opt_out =
                    (notices_opt_out != original_notices_opt_out).then_some(*notices_opt_out);
                if low_income.is_none() && tariff_code.is_none() && notices_opt_out.is_none() {
                    errors.insert("changes", FieldError::NothingChanged);
                }
                Request::UpdateAccount(pb::UpdateAccountRequest {
                    account_id,
                    expected_version,
                    low_income,
                    tariff_code,
                    reason,
                    notices_opt_out,
                })
            }
            Fields::EditContract {
                contract_id,
                original,
                edited,
            } => {
                let contract = detail
                    .contracts
                    .iter()
                    .find(|contract| contract.id == *contract_id)
                    .cloned()
                    .unwrap_or_default();
                let signed_on = (edited.signed_on.trim() != original.signed_on.trim())
                    .then(|| errors.check("signed_on".into(), form::date(&edited.signed_on)));
                let gas_purpose = (edited.gas_purpose != original.gas_purpose)
                    .then_some(edited.gas_purpose as i32);
                let price_policy = (edited.price_policy.trim() != original.price_policy.trim())
                    .then(|| edited.price_policy.trim().to_owned());
                if signed_on.is_none() && gas_purpose.is_none() && price_policy.is_none() {
                    errors.insert("changes", FieldError::NothingChanged);
                }
                Request::UpdateContract(pb::UpdateContractRequest {
                    contract_id: *contract_id,
                    expected_version: contract.version,
                    signed_on,
                    gas_purpose,
                    price_policy,
                    reason,
                })
            }
            Fields::Reveal => Request::Reveal {
                customer_id: detail
                    .customer
                    .as_ref()
                    .map(|customer| customer.id)
                    .unwrap_or_default(),
                reason,
            },
        };
        errors.into_result(request)
    }

    /// After a conflict the account was reloaded: the edit dialogs take the
    /// new values as their starting point, except in the fields the user
    /// changed, which keep what was typed.
    pub fn rebase(&mut self, detail: &pb::AccountDetail) {
        match &mut self.fields {
            Fields::EditCustomer {
                original, edited, ..
            } => {
                let fresh =
                    CustomerForm::from_customer(&detail.customer.clone().unwrap_or_default());
                if edited.party_kind == original.party_kind {
                    edited.party_kind = fresh.party_kind;
                }
                if edited.customer_type == original.customer_type {
                    edited.customer_type = fresh.customer_type;
                }
                if edited.name == original.name {
                    edited.name = fresh.name.clone();
                }
                if edited.id_type == original.id_type {
                    edited.id_type = fresh.id_type;
                }
                *original = fresh;
            }
            Fields::EditPremise { original, edited } => {
                let fresh = PremiseForm::from_premise(&detail.premise.clone().unwrap_or_default());
                for (edited, original, fresh) in [
                    (&mut edited.district, &original.district, &fresh.district),
                    (&mut edited.community, &original.community, &fresh.community),
                    (&mut edited.building, &original.building, &fresh.building),
                    (&mut edited.unit, &original.unit, &fresh.unit),
                    (&mut edited.room, &original.room, &fresh.room),
                    (&mut edited.address, &original.address, &fresh.address),
                    (&mut edited.latitude, &original.latitude, &fresh.latitude),
                    (&mut edited.longitude, &original.longitude, &fresh.longitude),
                ] {
                    if *edited == *original {
                        edited.clone_from(fresh);
                    }
                }
                *original = fresh;
            }
            Fields::EditAccount {
                original_low_income,
                low_income,
                original_tariff_code,
                tariff_code,
                original_notices_opt_out,
                notices_opt_out,
            } => {
                let fresh = account(detail);
                if low_income == original_low_income {
                    *low_income = fresh.low_income;
                }
                if tariff_code == original_tariff_code {
                    tariff_code.clone_from(&fresh.tariff_code);
                }
                if notices_opt_out == original_notices_opt_out {
                    *notices_opt_out = fresh.notices_opt_out;
                }
                *original_low_income = fresh.low_income;
                *original_tariff_code = fresh.tariff_code;
                *original_notices_opt_out = fresh.notices_opt_out;
            }
            Fields::EditContract {
                contract_id,
                original,
                edited,
            } => {
                let Some(contract) = detail
                    .contracts
                    .iter()
                    .find(|contract| contract.id == *contract_id)
                else {
                    return;
                };
                let fresh = ContractFields::of(contract);
                if edited.signed_on == original.signed_on {
                    edited.signed_on.clone_from(&fresh.signed_on);
                }
                if edited.gas_purpose == original.gas_purpose {
                    edited.gas_purpose = fresh.gas_purpose;
                }
                if edited.price_policy == original.price_policy {
                    edited.price_policy.clone_from(&fresh.price_policy);
                }
                *original = fresh;
            }
            Fields::Transfer { .. }
            | Fields::Close { .. }
            | Fields::Suspend { .. }
            | Fields::ReplaceMeter { .. }
            | Fields::Household { .. }
            | Fields::Reveal => {}
        }
    }

    /// The problems found while typing.
    pub fn validation(&self, detail: &pb::AccountDetail) -> FieldErrors {
        self.to_request(detail).err().unwrap_or_default()
    }

    fn title(&self) -> Key {
        match &self.fields {
            Fields::Transfer { .. } => Key::Transfer,
            Fields::Close { .. } => Key::CloseAccount,
            Fields::Suspend { suspend: true } => Key::Suspend,
            Fields::Suspend { suspend: false } => Key::Resume,
            Fields::ReplaceMeter { .. } => Key::ReplaceMeter,
            Fields::Household { .. } => Key::RegisterHousehold,
            Fields::EditCustomer { .. } => Key::EditCustomer,
            Fields::EditPremise { .. } => Key::EditPremise,
            Fields::EditAccount { .. } => Key::EditAccount,
            Fields::EditContract { .. } => Key::EditContract,
            Fields::Reveal => Key::RevealTitle,
        }
    }

    fn submit_label(&self) -> Key {
        match &self.fields {
            Fields::Transfer { .. } => Key::ConfirmTransfer,
            Fields::Close { .. } => Key::ConfirmClose,
            Fields::Suspend { suspend: true } => Key::ConfirmSuspend,
            Fields::Suspend { suspend: false } => Key::ConfirmResume,
            Fields::ReplaceMeter { .. } => Key::ConfirmReplaceMeter,
            Fields::Household { .. } => Key::ConfirmHousehold,
            Fields::Reveal => Key::ConfirmReveal,
            Fields::EditCustomer { .. }
            | Fields::EditPremise { .. }
            | Fields::EditAccount { .. }
            | Fields::EditContract { .. } => Key::SaveChanges,
        }
    }

    /// The dialog: title, account, fields, problem and buttons. `on_submit`
    /// and `on_cancel` are the area's messages; the fields speak `Message`.
    pub fn view<'a, M: Clone + 'a>(
        &self,
        language: Language,
        detail: &pb::AccountDetail,
        busy: bool,
        map: impl Fn(Message) -> M + Copy + 'a,
        on_submit: M,
        on_cancel: M,
    ) -> Element<'a, M> {
        let validation = self.validation(detail);
        let context = FormContext {
            language,
            id_prefix: ID_PREFIX,
            validation: &validation,
            server: &self.server_errors,
            attempted: self.attempted,
            enabled: !self.submitting && !busy,
        };
        let account = account(detail);
        let customer = detail.customer.clone().unwrap_or_default();
        let premise = detail.premise.clone().unwrap_or_default();

        let summary = container(
            row![
                fact(language, Key::AccountNo, account.account_no.clone()),
                fact(language, Key::AccountHolder, customer.name.clone()),
                fact(language, Key::Address, premise.address.clone()),
            ]
            .spacing(24),
        )
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::summary);

        let reason_field = text_field(
            &context,
            Key::Reason,
            "reason",
            &self.reason,
            true,
            tr(language, Key::ReasonPlaceholder),
            move |value| map(Message::Reason(value)),
        );

        let body: Element<'a, M> = match &self.fields {
            Fields::Transfer {
                final_reading,
                holder,
                new_customer,
                carry_arrears,
                transferred_on,
            } => {
                let arrears = archive::money(&account.arrears);
                let new_holder: Element<'a, M> = if holder.uses_existing() {
                    holder
                        .view(&context, Some(customer.id))
                        .map(move |message| map(Message::Holder(message)))
                } else {
                    new_customer
                        .view(&context, "new_customer", None)
                        .map(move |message| map(Message::Customer(message)))
                };
                column![
                    field_row(vec![
                        (
                            1,
                            text_field(
                                &context,
                                Key::FinalReading,
                                "final_reading",
                                final_reading,
                                true,
                                "m³",
                                move |v| { map(Message::FinalReading(v)) }
                            ),
                        ),
                        (
                            1,
                            text_field(
                                &context,
                                Key::TransferredOn,
                                "transferred_on",
                                transferred_on,
                                false,
                                tr(language, Key::TodayWhenEmpty),
                                move |v| map(Message::Date(v)),
                            ),
                        ),
                        (
                            1,
                            labelled(
                                &context,
                                Key::Arrears,
                                "carry_arrears",
                                false,
                                column![
                                    text(arrears).size(14),
                                    checkbox(*carry_arrears)
                                        .label(tr(language, Key::CarryArrears))
                                        .size(16)
                                        .text_size(13)
                                        .on_toggle_maybe(
                                            context
                                                .enabled
                                                .then_some(move |v| map(Message::CarryArrears(v)))
                                        ),
                                ]
                                .spacing(4),
                            ),
                        ),
                    ]),
                    section(language, Key::NewHolder),
                    holder
                        .kind_view(language)
                        .map(move |message| map(Message::Holder(message))),
                    new_holder,
                    reason_field,
                ]
                .spacing(8)
                .into()
            }
            Fields::Close {
                final_reading,
                closed_on,
                confirmed,
            } => column![
                field_row(vec![
                    (
                        1,
                        text_field(
                            &context,
                            Key::FinalReading,
                            "final_reading",
                            final_reading,
                            true,
                            "m³",
                            move |v| { map(Message::FinalReading(v)) }
                        ),
                    ),
                    (
                        1,
                        text_field(
                            &context,
                            Key::ClosedOn,
                            "closed_on",
                            closed_on,
                            false,
                            tr(language, Key::TodayWhenEmpty),
                            move |v| map(Message::Date(v)),
                        ),
                    ),
                ]),
                reason_field,
                text(tr(language, Key::CloseWarning))
                    .size(13)
                    .style(theme::text::warning),
                labelled(
                    &context,
                    Key::Confirmation,
                    "confirm",
                    true,
                    checkbox(*confirmed)
                        .label(tr(language, Key::ConfirmCloseCheck))
                        .size(16)
                        .text_size(14)
                        .on_toggle_maybe(
                            context
                                .enabled
                                .then_some(move |v| map(Message::Confirmed(v)))
                        ),
                ),
            ]
            .spacing(8)
            .into(),
            Fields::Suspend { suspend } => column![
                text(tr(
                    language,
                    if *suspend {
                        Key::SuspendExplained
                    } else {
                        Key::ResumeExplained
                    }
                ))
                .size(14),
                reason_field,
            ]
            .spacing(8)
            .into(),
            Fields::ReplaceMeter {
                old_final_reading,
                new_meter,
                replaced_on,
            } => {
                let old_meter = detail
                    .meters
                    .iter()
                    .find(|meter| meter.installed)
                    .map(|meter| meter.meter_no.clone())
                    .unwrap_or_default();
                column![
                    field_row(vec![
                        (
                            1,
                            labelled(
                                &context,
                                Key::OldMeter,
                                "old_meter",
                                false,
                                container(text(old_meter).size(14)).padding([6, 0]),
                            ),
                        ),
                        (
                            1,
                            text_field(
                                &context,
                                Key::OldFinalReading,
                                "old_final_reading",
                                old_final_reading,
                                true,
                                "m³",
                                move |v| map(Message::FinalReading(v)),
                            ),
                        ),
                        (
                            1,
                            text_field(
                                &context,
                                Key::ReplacedOn,
                                "replaced_on",
                                replaced_on,
                                false,
                                tr(language, Key::TodayWhenEmpty),
                                move |v| map(Message::Date(v)),
                            ),
                        ),
                    ]),
                    section(language, Key::NewMeter),
                    new_meter
                        .view(&context, "new_meter")
                        .map(move |message| map(Message::Meter(message))),
                    reason_field,
                ]
                .spacing(8)
                .into()
            }
            Fields::Household {
                household_size,
                effective_from,
            } => column![
                field_row(vec![
                    (
                        1,
                        text_field(
                            &context,
                            Key::HouseholdSize,
                            "household_size",
                            household_size,
                            true,
                            "1–50",
                            move |v| { map(Message::HouseholdSize(v)) }
                        ),
                    ),
                    (
                        1,
                        text_field(
                            &context,
                            Key::EffectiveFrom,
                            "effective_from",
                            effective_from,
                            true,
                            "YYYY-MM-DD",
                            move |v| map(Message::Date(v)),
                        ),
                    ),
                ]),
                reason_field,
            ]
            .spacing(8)
            .into(),
            Fields::EditCustomer {
                edited,
                remove_phone2,
                ..
            } => {
                let kept = KeptPii {
                    id_number: &customer.id_number_masked,
                    phone: &customer.phone_masked,
                    phone2: &customer.phone2_masked,
                };
                let mut fields = column![
                    edited
                        .view(&context, "changes", Some(kept))
                        .map(move |message| map(Message::Customer(message))),
                ]
                .spacing(8);
                if !customer.phone2_masked.is_empty() {
                    fields = fields.push(
                        checkbox(*remove_phone2)
                            .label(tr(language, Key::RemovePhone2))
                            .size(16)
                            .text_size(13)
                            .on_toggle_maybe(
                                context
                                    .enabled
                                    .then_some(move |v| map(Message::RemovePhone2(v))),
                            ),
                    );
                }
                fields.push(reason_field).into()
            }
            Fields::EditPremise { edited, .. } => column![
                edited
                    .view(&context, "changes")
                    .map(move |message| map(Message::Premise(message))),
                reason_field,
            ]
            .spacing(8)
            .into(),
            Fields::EditAccount {
                low_income,
                tariff_code,
                notices_opt_out,
                ..
            } => column![
                field_row(vec![
                    (
                        1,
                        labelled(
                            &context,
                            Key::LowIncome,
                            "low_income",
                            false,
                            container(
                                checkbox(*low_income)
                                    .label(tr(language, Key::LowIncomeHousehold))
                                    .size(16)
                                    .text_size(14)
                                    .on_toggle_maybe(
                                        context
                                            .enabled
                                            .then_some(move |v| map(Message::LowIncome(v)))
                                    ),
                            )
                            .padding([6, 0]),
                        ),
                    ),
                    (
                        1,
                        text_field(
                            &context,
                            Key::TariffCode,
                            "tariff_code",
                            tariff_code,
                            false,
                            "",
                            move |v| { map(Message::TariffCode(v)) }
                        ),
                    ),
                ]),
                labelled(
                    &context,
                    Key::BillNotices,
                    "notices_opt_out",
                    false,
                    container(
                        checkbox(*notices_opt_out)
                            .label(tr(language, Key::DeclinesBillNotices))
                            .size(16)
                            .text_size(14)
                            .on_toggle_maybe(
                                context
                                    .enabled
                                    .then_some(move |v| map(Message::NoticesOptOut(v)))
                            ),
                    )
                    .padding([6, 0]),
                ),
                reason_field,
            ]
            .spacing(8)
            .into(),
            Fields::EditContract { edited, .. } => column![
                field_row(vec![
                    (
                        1,
                        text_field(
                            &context,
                            Key::SignedOn,
                            "signed_on",
                            &edited.signed_on,
                            true,
                            "YYYY-MM-DD",
                            move |v| { map(Message::Date(v)) }
                        ),
                    ),
                    (
                        1,
                        form::choice_field(
                            &context,
                            Key::GasPurpose,
                            "gas_purpose",
                            form::choices(language, &form::GAS_PURPOSES, archive::gas_purpose),
                            Some(edited.gas_purpose),
                            true,
                            move |v| map(Message::GasPurpose(v)),
                        ),
                    ),
                    (
                        1,
                        text_field(
                            &context,
                            Key::PricePolicy,
                            "price_policy",
                            &edited.price_policy,
                            false,
                            "",
                            move |v| { map(Message::PricePolicy(v)) }
                        ),
                    ),
                ]),
                reason_field,
            ]
            .spacing(8)
            .into(),
            Fields::Reveal => column![
                text(tr(language, Key::RevealExplained)).size(14),
                reason_field,
            ]
            .spacing(8)
            .into(),
        };

        let mut content = column![
            text(tr(language, self.title())).size(theme::TEXT_TITLE - 2.0),
            summary,
        ]
        .spacing(12);

        if let Some(error) = context.error("changes") {
            content = content.push(
                text(archive::field_error(language, error))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        content = content.push(body);
        if let Some(problem) = &self.problem {
            content = content.push(problem_box(language, problem));
        }

        let enabled = context.enabled;
        let submit_label = if self.submitting {
            tr(language, Key::Submitting)
        } else {
            tr(language, self.submit_label())
        };
        let dangerous = matches!(self.fields, Fields::Close { .. } | Fields::Transfer { .. });
        let buttons = row![
            iced::widget::space::horizontal(),
            button(text(tr(language, Key::Cancel)))
                .padding([7, 18])
                .style(theme::button::secondary)
                .on_press_maybe((!self.submitting).then_some(on_cancel)),
            button(text(submit_label))
                .padding([7, 18])
                .style(if dangerous {
                    theme::button::danger
                } else {
                    theme::button::primary
                })
                .on_press_maybe(enabled.then_some(on_submit)),
        ]
        .spacing(10)
        .align_y(Alignment::Center);

        let width = match self.fields {
            Fields::Transfer { .. }
            | Fields::ReplaceMeter { .. }
            | Fields::EditCustomer { .. }
            | Fields::EditPremise { .. } => 820,
            _ => 640,
        };

        container(
            column![
                scrollable(container(content).padding(iced::Padding {
                    right: 12.0,
                    ..iced::Padding::ZERO
                }))
                .height(Length::Shrink),
                buttons
            ]
            .spacing(16),
        )
        .padding(24)
        .width(width)
        .max_height(720)
        .style(theme::container::dialog)
        .into()
    }

    /// The supervisor-approval dialog shown over this one.
    pub fn approval_view<'a, M: Clone + 'a>(
        &self,
        language: Language,
        map: impl Fn(Message) -> M + Copy + 'a,
        on_submit: M,
        on_cancel: M,
    ) -> Option<Element<'a, M>> {
        let approval = self.approval.as_ref()?;
        let enabled = !self.submitting;
        let input = |id: &'static str, value: &str| {
            text_input("", value)
                .id(id)
                .padding([6, 8])
                .size(14)
                .style(theme::text_input::field)
        };
        let mut content = column![
            text(tr(language, Key::ApprovalTitle)).size(theme::TEXT_TITLE - 2.0),
            text(tr(language, Key::ApprovalExplained))
                .size(13)
                .style(theme::text::muted),
            column![
                text(tr(language, Key::SupervisorUsername))
                    .size(theme::TEXT_SMALL)
                    .style(theme::text::label),
                input(APPROVAL_USERNAME_INPUT, &approval.username)
                    .on_input_maybe(enabled.then_some(move |v| map(Message::ApprovalUsername(v)))),
            ]
            .spacing(3),
            column![
                text(tr(language, Key::SupervisorPassword))
                    .size(theme::TEXT_SMALL)
                    .style(theme::text::label),
                input(APPROVAL_PASSWORD_INPUT, approval.password.expose())
                    .secure(true)
                    .on_input_maybe(enabled.then_some(move |v: String| map(
                        Message::ApprovalPassword(Secret::from(v))
                    )))
                    .on_submit_maybe(enabled.then_some(on_submit.clone())),
            ]
            .spacing(3),
        ]
        .spacing(12);
        match &approval.problem {
            Some(ApiError::InvalidField { field, message }) if field.starts_with("approval.") => {
                let headline = if field == "approval.password" {
                    Key::ApprovalWrongPassword
                } else {
                    Key::ApprovalNotSupervisor
                };
                content = content.push(
                    container(
                        column![
                            text(tr(language, headline))
                                .size(14)
                                .style(theme::text::error),
                            text(message.clone()).size(12).style(theme::text::muted),
                        ]
                        .spacing(3),
                    )
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::error_box),
                );
            }
            Some(problem) => content = content.push(problem_box(language, problem)),
            None => {}
        }
        let ready =
            enabled && !approval.username.trim().is_empty() && !approval.password.is_empty();
        content = content.push(
            row![
                iced::widget::space::horizontal(),
                button(text(tr(language, Key::Cancel)))
                    .padding([7, 18])
                    .style(theme::button::secondary)
                    .on_press_maybe(enabled.then_some(on_cancel)),
                button(text(tr(
                    language,
                    if self.submitting {
                        Key::Submitting
                    } else {
                        Key::ApproveAndSubmit
                    }
                )))
                .padding([7, 18])
                .style(theme::button::primary)
                .on_press_maybe(ready.then_some(on_submit)),
            ]
            .spacing(10),
        );
        Some(
            container(content)
                .padding(24)
                .width(420)
                .style(theme::container::dialog)
                .into(),
        )
    }
}

fn fact<'a, M: 'a>(language: Language, label: Key, value: String) -> Element<'a, M> {
    row![
        text(tr(language, label)).size(13).style(theme::text::label),
        text(value).size(14),
    ]
    .spacing(6)
    .align_y(Alignment::Center)
    .into()
}

/// A failure in a red box: headline, advice and the server's words.
pub fn problem_box<'a, M: 'a>(language: Language, error: &ApiError) -> Element<'a, M> {
    let error = i18n::error_text(language, error);
    let mut lines = column![text(error.headline).size(14).style(theme::text::error)].spacing(3);
    if let Some(advice) = error.advice {
        lines = lines.push(text(advice).size(13).style(theme::text::muted));
    }
    if let Some(detail) = error.detail {
        lines = lines.push(text(detail).size(12).style(theme::text::muted));
    }
    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::error_box)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail() -> pb::AccountDetail {
        pb::AccountDetail {
            account: Some(pb::Account {
                id: 41,
                account_no: "3101000123".into(),
                status: pb::AccountStatus::Active as i32,
                household_size: 3,
                arrears: "120.50".into(),
                version: 7,
                ..pb::Account::default()
            }),
            customer: Some(pb::Customer {
                id: 9,
                name: "王芳".into(),
                party_kind: pb::PartyKind::Person as i32,
                customer_type: pb::CustomerType::Residential as i32,
                id_type: pb::IdType::ResidentId as i32,
                id_number_masked: "110***********002X".into(),
                phone_masked: "138****5678".into(),
                version: 4,
                ..pb::Customer::default()
            }),
            premise: Some(pb::Premise {
                id: 12,
                district: "浦东新区".into(),
                community: "阳光花园".into(),
                building: "12".into(),
                unit: "2".into(),
                room: "301".into(),
                address: "浦东新区阳光花园12栋2单元301室".into(),
                version: 2,
                ..pb::Premise::default()
            }),
            ..pb::AccountDetail::default()
        }
    }

    #[test]
    fn close_needs_reading_reason_and_confirmation() {
        let detail = detail();
        let mut dialog = Dialog::new(Kind::Close, &detail);
        let errors = dialog.to_request(&detail).err().unwrap_or_default();
        let paths: Vec<&str> = errors.paths().collect();
        assert_eq!(paths, ["confirm", "final_reading", "reason"]);

        dialog.update(Message::FinalReading("1234.5".into()));
        dialog.update(Message::Reason("用户搬离".into()));
        dialog.update(Message::Confirmed(true));
        assert_eq!(
            dialog.to_request(&detail),
            Ok(Request::Close(pb::CloseAccountRequest {
                account_id: 41,
                expected_version: 7,
                final_reading: "1234.5".into(),
                closed_on: String::new(),
                reason: "用户搬离".into(),
            }))
        );
    }

    #[test]
    fn declining_bill_notices_sends_only_that_change() {
        let detail = detail();
        let mut dialog = Dialog::new(Kind::EditAccount, &detail);
        dialog.update(Message::NoticesOptOut(true));
        dialog.update(Message::Reason("客户来电要求不再接收短信".into()));
        assert_eq!(
            dialog.to_request(&detail),
            Ok(Request::UpdateAccount(pb::UpdateAccountRequest {
                account_id: 41,
                expected_version: 7,
                low_income: None,
                tariff_code: None,
                reason: "客户来电要求不再接收短信".into(),
                notices_opt_out: Some(true),
            }))
        );
        // Ticking it back is no change at all.
        dialog.update(Message::NoticesOptOut(false));
        assert!(matches!(
            dialog.validation(&detail).get("changes"),
            Some(FieldError::NothingChanged)
        ));
    }

    #[test]
    fn suspend_or_resume_follows_the_status() {
        let mut detail = detail();
        let dialog = Dialog::new(Kind::Suspend, &detail);
        assert_eq!(dialog.fields, Fields::Suspend { suspend: true });
        if let Some(account) = &mut detail.account {
            account.status = pb::AccountStatus::Suspended as i32;
        }
        let dialog = Dialog::new(Kind::Suspend, &detail);
        assert_eq!(dialog.fields, Fields::Suspend { suspend: false });
    }

    #[test]
    fn editing_the_premise_sends_only_changes_with_the_premise_version() {
        let detail = detail();
        let mut dialog = Dialog::new(Kind::EditPremise, &detail);
        assert!(matches!(
            dialog.validation(&detail).get("changes"),
            Some(FieldError::NothingChanged)
        ));
        dialog.update(Message::Premise(PremiseMessage::Room("302".into())));
        dialog.update(Message::Reason("门牌号更正".into()));
        let Ok(Request::UpdatePremise(request)) = dialog.to_request(&detail) else {
            panic!("expected an update of the premise");
        };
        assert_eq!(
            (
                request.premise_id,
                request.expected_version,
                request.account_id
            ),
            (12, 2, 41)
        );
        assert_eq!(
            request.changes,
            Some(pb::PremiseInput {
                room: Some("302".into()),
                address: Some("浦东新区阳光花园12栋2单元302室".into()),
                ..pb::PremiseInput::default()
            })
        );
    }

    #[test]
    fn a_reload_after_a_conflict_keeps_what_was_typed() {
        let detail = detail();
        let mut dialog = Dialog::new(Kind::EditCustomer, &detail);
        dialog.update(Message::Customer(CustomerMessage::Name("王芳芳".into())));

        let mut newer = detail.clone();
        if let Some(customer) = &mut newer.customer {
            customer.name = "王 芳".into();
            customer.customer_type = pb::CustomerType::Commercial as i32;
            customer.version = 5;
        }
        dialog.rebase(&newer);

        let Fields::EditCustomer { edited, .. } = &dialog.fields else {
            panic!("still the customer dialog");
        };
        assert_eq!(edited.name, "王芳芳", "typed value kept");
        assert_eq!(
            edited.customer_type,
            pb::CustomerType::Commercial,
            "untouched field follows the reload"
        );

        dialog.update(Message::Reason("更正姓名".into()));
        let Ok(Request::UpdateCustomer(request)) = dialog.to_request(&newer) else {
            panic!("expected an update of the customer");
        };
        assert_eq!(request.expected_version, 5);
        assert_eq!(
            request.changes.and_then(|changes| changes.name).as_deref(),
            Some("王芳芳")
        );
    }

    #[test]
    fn transfer_carries_the_new_holder() {
        let detail = detail();
        let mut dialog = Dialog::new(Kind::Transfer, &detail);
        for message in [
            Message::FinalReading("2045.120".into()),
            Message::Customer(CustomerMessage::Name("李强".into())),
            Message::Customer(CustomerMessage::IdNumber("11010519491231002X".into())),
            Message::Customer(CustomerMessage::Phone("13900001111".into())),
            Message::CarryArrears(true),
            Message::Reason("房屋买卖".into()),
        ] {
            dialog.update(message);
        }
        let Ok(Request::Transfer(request)) = dialog.to_request(&detail) else {
            panic!("expected a transfer");
        };
        assert_eq!(request.final_reading, "2045.120");
        assert!(request.carry_arrears);
        assert_eq!(request.approval, None);
        assert_eq!(
            request
                .new_customer
                .and_then(|customer| customer.name)
                .as_deref(),
            Some("李强")
        );
    }

    /// A transfer dialog with 已有客户 chosen and a lookup of "阳光花园"
    /// answered: 王芳 (customer 9, the holder of the account) and 李强 (15).
    fn transfer_to_existing(detail: &pb::AccountDetail) -> Dialog {
        let mut dialog = Dialog::new(Kind::Transfer, detail);
        for message in [
            Message::FinalReading("2045.120".into()),
            Message::Reason("房屋买卖".into()),
            Message::Holder(picker::Message::Kind(picker::HolderKind::Existing)),
            Message::Holder(picker::Message::Query("阳光花园".into())),
        ] {
            let _ = dialog.update(message);
        }
        let picker::Action::Search(request) =
            dialog.update(Message::Holder(picker::Message::Search))
        else {
            panic!("the lookup is asked for");
        };
        let hit =
            |account_id: i64, account_no: &str, name: &str, customer_id: i64| pb::AccountSummary {
                account_id,
                account_no: account_no.into(),
                customer_name: name.into(),
                customer_id,
                ..pb::AccountSummary::default()
            };
        let _ = dialog.update(Message::Holder(picker::Message::Searched {
            query: request.query,
            result: Ok(pb::SearchAccountsResponse {
                results: vec![
                    hit(41, "3101000123", "王芳", 9),
                    hit(57, "3101000187", "李强", 15),
                ],
                ..pb::SearchAccountsResponse::default()
            }),
        }));
        dialog
    }

    #[test]
    fn transfer_to_an_existing_customer_sends_only_the_id() {
        let detail = detail();
        let mut dialog = transfer_to_existing(&detail);
        assert_eq!(
            dialog.validation(&detail).paths().collect::<Vec<_>>(),
            [picker::FIELD],
            "the hidden new-holder fields are not required"
        );
        let _ = dialog.update(Message::Holder(picker::Message::Choose(1)));
        let Ok(Request::Transfer(request)) = dialog.to_request(&detail) else {
            panic!("expected a transfer: {:?}", dialog.validation(&detail));
        };
        assert_eq!(request.existing_customer_id, 15);
        assert_eq!(request.new_customer, None);
        assert_eq!(request.final_reading, "2045.120");
        assert_eq!(request.expected_version, 7);
    }

    #[test]
    fn transfer_refuses_the_current_holder() {
        let detail = detail();
        let mut dialog = transfer_to_existing(&detail);
        let _ = dialog.update(Message::Holder(picker::Message::Choose(0)));
        let errors = dialog.to_request(&detail).err().unwrap_or_default();
        assert_eq!(errors.get(picker::FIELD), Some(&FieldError::CurrentHolder));

        // A server complaint about the choice goes when another is made.
        dialog.server_errors.insert(
            picker::FIELD,
            FieldError::Server("is already the holder of this account".into()),
        );
        let _ = dialog.update(Message::Holder(picker::Message::ChangeChoice));
        assert!(dialog.server_errors.get(picker::FIELD).is_none());
    }
}
