//! One account in tabs: customer, premise, meters, account, contracts and
//! change records. Back-office users get the buttons of the lifecycle and
//! the edits; everyone else reads.

use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Length};

use crate::api::ApiError;
use crate::api::archive::{CHANGES_PAGE_SIZE, RevealedPii};
use crate::i18n::archive::{self, Key};
use crate::i18n::{self, Language, tr};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

use super::Message;
use super::dialog::{Kind, problem_box};

/// The tabs, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Customer,
    Premise,
    Meters,
    Account,
    Contracts,
    Changes,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Customer,
        Tab::Premise,
        Tab::Meters,
        Tab::Account,
        Tab::Contracts,
        Tab::Changes,
    ];

    fn label(self) -> Key {
        match self {
            Tab::Customer => Key::TabCustomer,
            Tab::Premise => Key::TabPremise,
            Tab::Meters => Key::TabMeters,
            Tab::Account => Key::TabAccount,
            Tab::Contracts => Key::TabContracts,
            Tab::Changes => Key::TabChanges,
        }
    }
}

/// The change records loaded so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub records: Vec<pb::ChangeRecord>,
    /// Whether the newest page has been asked for since the account loaded.
    pub requested: bool,
    pub loading: bool,
    /// A full page came back, so older records may exist.
    pub may_have_more: bool,
    pub problem: Option<ApiError>,
}

/// What the buttons of the detail may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// 营业/稽核: lifecycle calls and edits.
    pub can_edit: bool,
    /// May ask for personal data in clear.
    pub can_reveal: bool,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub account_id: i64,
    /// `None` until the first answer.
    pub data: Option<pb::AccountDetail>,
    pub loading: bool,
    pub problem: Option<ApiError>,
    pub tab: Tab,
    pub changes: Changes,
    /// Personal data shown in clear, until the account is left or reloaded.
    pub revealed: Option<RevealedPii>,
    /// What was just done, in green above the tabs.
    pub notice: Option<Key>,
}

impl Detail {
    pub fn loading(account_id: i64) -> Self {
        Detail {
            account_id,
            data: None,
            loading: true,
            problem: None,
            tab: Tab::Customer,
            changes: Changes::default(),
            revealed: None,
            notice: None,
        }
    }

    /// A newer state of the account arrived: the change records are out of
    /// date, and personal data shown in clear is hidden again.
    pub fn loaded(&mut self, detail: pb::AccountDetail) {
        self.data = Some(detail);
        self.loading = false;
        self.problem = None;
        self.revealed = None;
        self.changes = Changes::default();
    }

    pub fn status(&self) -> pb::AccountStatus {
        self.data
            .as_ref()
            .and_then(|data| data.account.as_ref())
            .map(pb::Account::status)
            .unwrap_or(pb::AccountStatus::Unspecified)
    }

    /// The `before_id` of the next page of change records.
    pub fn older_changes_before(&self) -> Option<i64> {
        let changes = &self.changes;
        (changes.may_have_more && !changes.loading)
            .then(|| changes.records.last().map(|record| record.id))
            .flatten()
    }

    pub fn changes_loaded(&mut self, before_id: i64, records: Vec<pb::ChangeRecord>) {
        self.changes.may_have_more =
            records.len() >= usize::try_from(CHANGES_PAGE_SIZE).unwrap_or(usize::MAX);
        if before_id == 0 {
            self.changes.records = records;
        } else {
            self.changes.records.extend(records);
        }
        self.changes.loading = false;
        self.changes.problem = None;
    }

    pub fn view<'a>(
        &'a self,
        language: Language,
        permissions: Permissions,
        busy: bool,
    ) -> Element<'a, Message> {
        let back = button(text(tr(language, Key::BackToResults)).size(14))
            .padding([6, 14])
            .style(theme::button::secondary)
            .on_press(Message::BackToSearch);
        let reload = button(text(tr(language, Key::Reload)).size(14))
            .padding([6, 14])
            .style(theme::button::secondary)
            .on_press_maybe((!self.loading).then_some(Message::ReloadAccount));
        let mut top = row![back, iced::widget::space::horizontal()]
            .spacing(10)
            .align_y(Alignment::Center);
        if self.loading && self.data.is_some() {
            top = top.push(
                text(tr(language, i18n::Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        top = top.push(reload);

        let Some(data) = &self.data else {
            let body: Element<'a, Message> = match &self.problem {
                Some(problem) => problem_box(language, problem),
                None => text(tr(language, i18n::Key::Loading))
                    .style(theme::text::muted)
                    .into(),
            };
            return column![
                top,
                container(body)
                    .padding(16)
                    .width(Length::Fill)
                    .style(theme::container::card)
            ]
            .spacing(12)
            .into();
        };

        let mut page = column![top, self.summary(language, data, permissions, busy)].spacing(12);
        if let Some(notice) = self.notice {
            page = page.push(
                container(text(tr(language, notice)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::success_box),
            );
        }
        if let Some(problem) = &self.problem {
            page = page.push(problem_box(language, problem));
        }

        let tabs = widget::tab_bar(
            Tab::ALL.map(|tab| (tab, tr(language, tab.label()).to_owned())),
            self.tab,
            Message::SelectTab,
        );
        let content = match self.tab {
            Tab::Customer => self.customer_tab(language, data, permissions, busy),
            Tab::Premise => premise_tab(language, data, permissions, busy),
            Tab::Meters => meters_tab(language, data, permissions, busy),
            Tab::Account => account_tab(language, data, permissions, busy),
            Tab::Contracts => contracts_tab(language, data, permissions, busy),
            Tab::Changes => self.changes_tab(language),
        };
        page.push(
            column![
                tabs,
                container(scrollable(container(content).padding(iced::Padding {
                    right: 12.0,
                    ..iced::Padding::ZERO
                })))
                .padding(16)
                .width(Length::Fill)
                .height(Length::Fill)
                .style(theme::container::card),
            ]
            .height(Length::Fill),
        )
        .height(Length::Fill)
        .into()
    }

    fn summary<'a>(
        &self,
        language: Language,
        data: &'a pb::AccountDetail,
        permissions: Permissions,
        busy: bool,
    ) -> Element<'a, Message> {
        let account = data.account.clone().unwrap_or_default();
        let customer = data.customer.as_ref();
        let premise = data.premise.as_ref();
        let meter = data.meters.iter().find(|meter| meter.installed);

        let headline = row![
            text(account.account_no.clone()).size(20),
            text(
                customer
                    .map(|customer| customer.name.clone())
                    .unwrap_or_default()
            )
            .size(20),
            status_badge(language, account.status()),
        ]
        .spacing(14)
        .align_y(Alignment::Center);

        let mut actions = row![].spacing(8).align_y(Alignment::Center);
        let status = account.status();
        if permissions.can_edit && status != pb::AccountStatus::Closed {
            let action = |label: Key, kind: Kind, danger: bool| {
                button(text(tr(language, label)).size(14))
                    .padding([6, 14])
                    .style(if danger {
                        theme::button::danger
                    } else {
                        theme::button::secondary
                    })
                    .on_press_maybe((!busy).then_some(Message::ShowDialog(kind)))
            };
            actions = actions
                .push(action(Key::Transfer, Kind::Transfer, false))
                .push(action(
                    if status == pb::AccountStatus::Suspended {
                        Key::Resume
                    } else {
                        Key::Suspend
                    },
                    Kind::Suspend,
                    false,
                ))
                .push(action(Key::CloseAccount, Kind::Close, true));
        }

        let arrears = archive::money(&account.arrears);
        let has_arrears = archive::is_positive_amount(&account.arrears);
        let facts = row![
            summary_fact(
                language,
                Key::Address,
                premise
                    .map(|premise| premise.address.clone())
                    .unwrap_or_default()
            ),
            summary_fact(
                language,
                Key::MeterNo,
                meter
                    .map(|meter| meter.meter_no.clone())
                    .unwrap_or_default()
            ),
            summary_fact(
                language,
                Key::MeterType,
                meter
                    .map(|meter| archive::meter_type(language, meter.meter_type()).to_owned())
                    .unwrap_or_default()
            ),
            column![
                text(tr(language, Key::Arrears))
                    .size(12)
                    .style(theme::text::label),
                text(arrears).size(14).style(if has_arrears {
                    theme::text::error
                } else {
                    theme::text::plain
                }),
            ]
            .spacing(2),
            summary_fact(
                language,
                Key::Prepayment,
                archive::money(&account.prepayment)
            ),
        ]
        .spacing(28);

        container(
            column![
                row![headline, iced::widget::space::horizontal(), actions]
                    .align_y(Alignment::Center),
                facts,
            ]
            .spacing(10),
        )
        .padding([12, 16])
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
    }

    fn customer_tab<'a>(
        &'a self,
        language: Language,
        data: &'a pb::AccountDetail,
        permissions: Permissions,
        busy: bool,
    ) -> Element<'a, Message> {
        let customer = data.customer.clone().unwrap_or_default();
        let revealed = self
            .revealed
            .as_ref()
            .filter(|revealed| revealed.customer_id == customer.id);
        let (id_number, phone, phone2) = match revealed {
            Some(revealed) => (
                revealed.id_number.expose().to_owned(),
                revealed.phone.expose().to_owned(),
                revealed.phone2.expose().to_owned(),
            ),
            None => (
                customer.id_number_masked.clone(),
                customer.phone_masked.clone(),
                customer.phone2_masked.clone(),
            ),
        };

        let mut buttons = row![].spacing(8);
        if permissions.can_reveal {
            buttons = buttons.push(match revealed {
                Some(_) => button(text(tr(language, Key::HidePii)).size(14))
                    .padding([6, 14])
                    .style(theme::button::secondary)
                    .on_press(Message::HidePii),
                None => button(text(tr(language, Key::RevealPii)).size(14))
                    .padding([6, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe((!busy).then_some(Message::ShowDialog(Kind::Reveal))),
            });
        }
        if permissions.can_edit && self.status() != pb::AccountStatus::Closed {
            buttons = buttons.push(edit_button(
                language,
                Key::EditCustomer,
                Kind::EditCustomer,
                busy,
            ));
        }

        let mut content = column![
            facts_grid(
                language,
                vec![
                    (Key::CustomerName, customer.name.clone()),
                    (
                        Key::CustomerType,
                        archive::customer_type(language, customer.customer_type()).to_owned()
                    ),
                    (
                        Key::PartyKind,
                        archive::party_kind(language, customer.party_kind()).to_owned()
                    ),
                    (
                        Key::IdType,
                        archive::id_type(language, customer.id_type()).to_owned()
                    ),
                    (Key::IdNumber, id_number),
                    (Key::Phone, phone),
                    (Key::Phone2, phone2),
                    (Key::CustomerId, customer.id.to_string()),
                ],
            ),
            buttons,
        ]
        .spacing(14);
        if revealed.is_some() {
            content = content.push(
                text(tr(language, Key::PiiRevealedNote))
                    .size(12)
                    .style(theme::text::warning),
            );
        }
        content.into()
    }

    fn changes_tab<'a>(&'a self, language: Language) -> Element<'a, Message> {
        let changes = &self.changes;
        let mut content = column![].spacing(10);
        if let Some(problem) = &changes.problem {
            content = content.push(problem_box(language, problem));
        }
        if changes.records.is_empty() {
            let note = if changes.loading {
                tr(language, i18n::Key::Loading)
            } else {
                tr(language, Key::NoChanges)
            };
            return content
                .push(text(note).size(14).style(theme::text::muted))
                .into();
        }
        let columns = [
            TableColumn::new(tr(language, Key::ChangedAt), Length::Fixed(170.0)),
            TableColumn::new(tr(language, Key::ChangedBy), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::ChangeAction), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Reason), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Differences), Length::FillPortion(10)),
            TableColumn::new(tr(language, Key::ApprovedBy), Length::FillPortion(3)),
        ];
        let rows = changes.records.iter().map(|record| {
            TableRow::new(vec![
                widget::cell(
                    record
                        .at
                        .as_ref()
                        .and_then(|at| chrono::DateTime::from_timestamp(at.seconds, 0))
                        .map(i18n::local_date_time)
                        .unwrap_or_default(),
                ),
                widget::cell(record.username.as_str()),
                widget::cell(archive::change_action(language, &record.action)),
                widget::cell(record.reason.as_str()),
                column(record.differences.iter().map(|difference| {
                    text(archive::change_difference(language, difference))
                        .size(13)
                        .into()
                }))
                .spacing(2)
                .into(),
                widget::cell(record.approved_by.as_str()),
            ])
        });
        content = content.push(widget::table(&columns, rows));
        if changes.may_have_more {
            content = content.push(
                button(
                    text(if changes.loading {
                        tr(language, i18n::Key::Loading)
                    } else {
                        tr(language, Key::LoadOlderChanges)
                    })
                    .size(13),
                )
                .padding([5, 14])
                .style(theme::button::secondary)
                .on_press_maybe((!changes.loading).then_some(Message::LoadOlderChanges)),
            );
        }
        content.into()
    }
}

fn edit_button<'a>(language: Language, label: Key, kind: Kind, busy: bool) -> Element<'a, Message> {
    button(text(tr(language, label)).size(14))
        .padding([6, 14])
        .style(theme::button::secondary)
        .on_press_maybe((!busy).then_some(Message::ShowDialog(kind)))
        .into()
}

fn premise_tab<'a>(
    language: Language,
    data: &'a pb::AccountDetail,
    permissions: Permissions,
    busy: bool,
) -> Element<'a, Message> {
    let premise = data.premise.clone().unwrap_or_default();
    let closed = data.account.as_ref().map(pb::Account::status) == Some(pb::AccountStatus::Closed);
    let mut content = column![facts_grid(
        language,
        vec![
            (Key::FullAddress, premise.address.clone()),
            (Key::District, premise.district.clone()),
            (Key::Community, premise.community.clone()),
            (Key::Building, premise.building.clone()),
            (Key::Unit, premise.unit.clone()),
            (Key::Room, premise.room.clone()),
            (Key::Latitude, premise.latitude.clone()),
            (Key::Longitude, premise.longitude.clone()),
        ],
    )]
    .spacing(14);
    if permissions.can_edit && !closed {
        content = content.push(edit_button(
            language,
            Key::EditPremise,
            Kind::EditPremise,
            busy,
        ));
    }
    content.into()
}

fn meters_tab<'a>(
    language: Language,
    data: &'a pb::AccountDetail,
    permissions: Permissions,
    busy: bool,
) -> Element<'a, Message> {
    let closed = data.account.as_ref().map(pb::Account::status) == Some(pb::AccountStatus::Closed);
    let meter_columns = [
        TableColumn::new(tr(language, Key::MeterNo), Length::FillPortion(5)),
        TableColumn::new(tr(language, Key::MeterType), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Maker), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Model), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::MeterSize), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Digits), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::InstalledOn), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::InitialReading), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Status), Length::FillPortion(2)),
    ];
    let meters = data.meters.iter().map(|meter| {
        TableRow::new(vec![
            widget::cell(meter.meter_no.as_str()),
            widget::cell(archive::meter_type(language, meter.meter_type())),
            widget::cell(meter.maker.as_str()),
            widget::cell(meter.model.as_str()),
            widget::cell(meter.size.as_str()),
            widget::cell(meter.digits.to_string()),
            widget::cell(meter.installed_on.as_str()),
            widget::cell(meter.initial_reading.as_str()),
            if meter.installed {
                widget::badge(tr(language, Key::MeterInstalled), Tone::Good)
            } else {
                widget::badge(tr(language, Key::MeterRemoved), Tone::Neutral)
            },
        ])
    });

    let event_columns = [
        TableColumn::new(tr(language, Key::EventDate), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::MeterNo), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::EventKind), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Reading), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::RecordedBy), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::Note), Length::FillPortion(6)),
    ];
    let events = data.meter_events.iter().map(|event| {
        TableRow::new(vec![
            widget::cell(event.occurred_on.as_str()),
            widget::cell(event.meter_no.as_str()),
            widget::cell(archive::meter_event(language, &event.kind)),
            widget::cell(event.reading.as_str()),
            widget::cell(event.recorded_by.as_str()),
            widget::cell(event.note.as_str()),
        ])
    });

    let mut header = row![
        text(tr(language, Key::Meters))
            .size(15)
            .style(theme::text::section)
    ]
    .align_y(Alignment::Center);
    if permissions.can_edit && !closed {
        header = header
            .push(iced::widget::space::horizontal())
            .push(edit_button(
                language,
                Key::ReplaceMeter,
                Kind::ReplaceMeter,
                busy,
            ));
    }
    column![
        header,
        widget::table(&meter_columns, meters),
        text(tr(language, Key::MeterHistory))
            .size(15)
            .style(theme::text::section),
        if data.meter_events.is_empty() {
            text(tr(language, Key::NoRecords))
                .size(14)
                .style(theme::text::muted)
                .into()
        } else {
            widget::table(&event_columns, events)
        },
    ]
    .spacing(10)
    .into()
}

fn account_tab<'a>(
    language: Language,
    data: &'a pb::AccountDetail,
    permissions: Permissions,
    busy: bool,
) -> Element<'a, Message> {
    let account = data.account.clone().unwrap_or_default();
    let none = || tr(language, i18n::Key::NotAvailable).to_owned();
    let yes_no = |value: bool| tr(language, if value { Key::Yes } else { Key::No }).to_owned();
    let facts = facts_grid(
        language,
        vec![
            (
                Key::Status,
                archive::account_status(language, account.status()).to_owned(),
            ),
            (Key::OpenedOn, account.opened_on.clone()),
            (
                Key::ClosedOn,
                if account.closed_on.is_empty() {
                    none()
                } else {
                    account.closed_on.clone()
                },
            ),
            (Key::LowIncome, yes_no(account.low_income)),
            (
                Key::BillNotices,
                tr(
                    language,
                    if account.notices_opt_out {
                        Key::NoticesDeclined
                    } else {
                        Key::NoticesWanted
                    },
                )
                .to_owned(),
            ),
            (
                Key::HouseholdSize,
                if account.household_size == 0 {
                    none()
                } else {
                    account.household_size.to_string()
                },
            ),
            (
                Key::TariffCode,
                if account.tariff_code.is_empty() {
                    none()
                } else {
                    account.tariff_code.clone()
                },
            ),
            (Key::Arrears, archive::money(&account.arrears)),
            (Key::Prepayment, archive::money(&account.prepayment)),
        ],
    );

    let mut buttons = row![].spacing(8);
    if permissions.can_edit && account.status() != pb::AccountStatus::Closed {
        buttons = buttons
            .push(edit_button(
                language,
                Key::RegisterHousehold,
                Kind::Household,
                busy,
            ))
            .push(edit_button(
                language,
                Key::EditAccount,
                Kind::EditAccount,
                busy,
            ));
    }

    let household_columns = [
        TableColumn::new(tr(language, Key::HouseholdSize), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::EffectiveFrom), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::RecordedAt), Length::FillPortion(4)),
    ];
    let household = data.household.iter().map(|entry| {
        TableRow::new(vec![
            widget::cell(entry.household_size.to_string()),
            widget::cell(entry.effective_from.as_str()),
            widget::cell(
                entry
                    .recorded_at
                    .as_ref()
                    .and_then(|at| chrono::DateTime::from_timestamp(at.seconds, 0))
                    .map(i18n::local_date_time)
                    .unwrap_or_default(),
            ),
        ])
    });
    let holder_columns = [
        TableColumn::new(tr(language, Key::AccountHolder), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::HolderFrom), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::HolderTo), Length::FillPortion(3)),
    ];
    let holders = data.holders.iter().map(|holder| {
        TableRow::new(vec![
            widget::cell(holder.customer_name.as_str()),
            widget::cell(holder.from_date.as_str()),
            widget::cell(if holder.to_date.is_empty() {
                tr(language, Key::CurrentHolder).to_owned()
            } else {
                holder.to_date.clone()
            }),
        ])
    });

    let table_or_note = |is_empty: bool, table: Element<'a, Message>| {
        if is_empty {
            text(tr(language, Key::NoRecords))
                .size(14)
                .style(theme::text::muted)
                .into()
        } else {
            table
        }
    };

    column![
        facts,
        buttons,
        row![
            column![
                text(tr(language, Key::HouseholdHistory))
                    .size(15)
                    .style(theme::text::section),
                table_or_note(
                    data.household.is_empty(),
                    widget::table(&household_columns, household)
                ),
            ]
            .spacing(8)
            .width(Length::FillPortion(1)),
            column![
                text(tr(language, Key::HolderHistory))
                    .size(15)
                    .style(theme::text::section),
                table_or_note(
                    data.holders.is_empty(),
                    widget::table(&holder_columns, holders)
                ),
            ]
            .spacing(8)
            .width(Length::FillPortion(1)),
        ]
        .spacing(20),
    ]
    .spacing(14)
    .into()
}

fn contracts_tab<'a>(
    language: Language,
    data: &'a pb::AccountDetail,
    permissions: Permissions,
    busy: bool,
) -> Element<'a, Message> {
    let closed = data.account.as_ref().map(pb::Account::status) == Some(pb::AccountStatus::Closed);
    let contract_columns = [
        TableColumn::new(tr(language, Key::ContractNo), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::SignedOn), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::GasPurpose), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::PricePolicy), Length::FillPortion(3)),
    ];
    let contracts = data.contracts.iter().map(|contract| {
        TableRow::new(vec![
            widget::cell(contract.contract_no.as_str()),
            widget::cell(contract.signed_on.as_str()),
            widget::cell(archive::gas_purpose(language, contract.gas_purpose())),
            widget::cell(if contract.price_policy.is_empty() {
                tr(language, i18n::Key::NotAvailable)
            } else {
                contract.price_policy.as_str()
            }),
        ])
    });
    let card_columns = [
        TableColumn::new(tr(language, Key::CardNo), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::IssueCount), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Status), Length::FillPortion(2)),
    ];
    let cards = data.ic_cards.iter().map(|card| {
        TableRow::new(vec![
            widget::cell(card.card_no.as_str()),
            widget::cell(card.issue_count.to_string()),
            widget::cell(archive::card_status(language, &card.status)),
        ])
    });
    let mut header = row![
        text(tr(language, Key::Contracts))
            .size(15)
            .style(theme::text::section)
    ]
    .align_y(Alignment::Center);
    if permissions.can_edit && !closed && !data.contracts.is_empty() {
        header = header
            .push(iced::widget::space::horizontal())
            .push(edit_button(
                language,
                Key::EditContract,
                Kind::EditContract,
                busy,
            ));
    }
    column![
        header,
        if data.contracts.is_empty() {
            text(tr(language, Key::NoRecords))
                .size(14)
                .style(theme::text::muted)
                .into()
        } else {
            widget::table(&contract_columns, contracts)
        },
        text(tr(language, Key::IcCards))
            .size(15)
            .style(theme::text::section),
        if data.ic_cards.is_empty() {
            text(tr(language, Key::NoRecords))
                .size(14)
                .style(theme::text::muted)
                .into()
        } else {
            widget::table(&card_columns, cards)
        },
    ]
    .spacing(10)
    .into()
}

/// Facts in a grid of four label/value pairs per row.
fn facts_grid<'a>(language: Language, facts: Vec<(Key, String)>) -> Element<'a, Message> {
    const PER_ROW: usize = 4;
    let none = tr(language, i18n::Key::NotAvailable);
    let mut rows = column![].spacing(12);
    for chunk in facts.chunks(PER_ROW) {
        let mut line = row![].spacing(16);
        for (label, value) in chunk {
            let value = if value.is_empty() {
                none.to_owned()
            } else {
                value.clone()
            };
            line = line.push(
                column![
                    text(tr(language, *label))
                        .size(12)
                        .style(theme::text::label),
                    text(value).size(14),
                ]
                .spacing(3)
                .width(Length::FillPortion(1)),
            );
        }
        for _ in chunk.len()..PER_ROW {
            line = line.push(iced::widget::space::horizontal().width(Length::FillPortion(1)));
        }
        rows = rows.push(line);
    }
    rows.into()
}

fn summary_fact<'a>(language: Language, label: Key, value: String) -> Element<'a, Message> {
    let value = if value.is_empty() {
        tr(language, i18n::Key::NotAvailable).to_owned()
    } else {
        value
    };
    column![
        text(tr(language, label)).size(12).style(theme::text::label),
        text(value).size(14),
    ]
    .spacing(2)
    .into()
}

/// 正常 / 报停 / 销户 in its colour.
pub fn status_badge<'a>(language: Language, status: pb::AccountStatus) -> Element<'a, Message> {
    let tone = match status {
        pb::AccountStatus::Active => Tone::Good,
        pb::AccountStatus::Suspended => Tone::Caution,
        pb::AccountStatus::Closed | pb::AccountStatus::Unspecified => Tone::Neutral,
    };
    container(widget::badge(
        archive::account_status(language, status),
        tone,
    ))
    .into()
}
