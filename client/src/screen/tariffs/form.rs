//! The views of the draft editor: 编辑草稿 (the common changes, field by
//! field, each problem beside its field) and 高级 (the TOML text).

use chrono::NaiveDate;
use gascis_common::tariff::{CustomerType, Cycle, Tariff, TariffVersion, TierTable};
use iced::widget::{
    button, checkbox, column, container, pick_list, row, text, text_editor, text_input,
};
use iced::{Alignment, Element, Font, Length};

use super::editor::{
    Editor, Field, FieldRef, Flag, Message, TierList, tier_count, tier_list, tier_lists,
};
use super::tables::{VersionStatus, fact, section_title, status_badge, version_status};
use crate::api::ApiError;
use crate::i18n::tariffs::{self as texts, Key};
use crate::i18n::{self, Language, tr};
use crate::theme;

/// The id of the date of the version 新增版本 adds.
pub const NEW_VERSION_DATE_INPUT: &str = "tariff-new-version-date";

/// The id of the amount 新增版本 adds to every price.
pub const NEW_VERSION_DELTA_INPUT: &str = "tariff-new-version-delta";

/// The id of the TOML editor of 高级.
pub const RAW_EDITOR: &str = "tariff-raw-toml";

/// The monospaced face of the bundled font, for TOML.
const MONOSPACE: Font = Font::with_name("WenQuanYi Micro Hei Mono");

/// What to say under a field: its own problem, or the validation error
/// that names it.
fn field_error(language: Language, editor: &Editor, at: FieldRef) -> Option<String> {
    if let Some(problem) = editor.problem(at) {
        return Some(texts::problem_text(language, problem));
    }
    if editor.validation_field() == Some(at) {
        return editor
            .validation()
            .map(|error| texts::tariff_error(language, error));
    }
    None
}

/// The text input of a field with its problem under it.
fn input<'a>(
    language: Language,
    editor: &Editor,
    at: FieldRef,
    width: f32,
    placeholder: &str,
    enabled: bool,
) -> Element<'a, Message> {
    let error = field_error(language, editor, at);
    let field = text_input(placeholder, &editor.text(at))
        .id(at.input_id())
        .padding([5, 8])
        .size(14)
        .width(Length::Fixed(width))
        .style(if error.is_some() {
            theme::text_input::invalid
        } else {
            theme::text_input::field
        })
        .on_input_maybe(enabled.then_some(move |text| Message::Edit(at, text)));
    let mut lines = column![field].spacing(2).width(Length::Fixed(width));
    if let Some(error) = error {
        lines = lines.push(text(error).size(12).style(theme::text::error));
    }
    lines.into()
}

/// A label over an input, and a hint after it.
fn labelled<'a>(
    language: Language,
    label: Key,
    field: Element<'a, Message>,
    hint: Option<String>,
) -> Element<'a, Message> {
    let mut line = row![field].spacing(8).align_y(Alignment::Start);
    if let Some(hint) = hint {
        line = line.push(container(text(hint).size(13).style(theme::text::muted)).padding([6, 0]));
    }
    column![
        text(tr(language, label)).size(13).style(theme::text::label),
        line,
    ]
    .spacing(4)
    .into()
}

fn small_button<'a>(label: String, on_press: Option<Message>) -> Element<'a, Message> {
    button(text(label).size(13))
        .padding([4, 12])
        .style(theme::button::secondary)
        .on_press_maybe(on_press)
        .into()
}

/// A pick-list choice with a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Choice {
    value: u32,
    label: &'static str,
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label)
    }
}

/// 编辑草稿.
pub fn view<'a>(
    language: Language,
    editor: &'a Editor,
    published: Option<&'a Tariff>,
    today: NaiveDate,
    enabled: bool,
) -> Element<'a, Message> {
    let tariff = editor.tariff();
    let mut page = column![versions_bar(language, editor, today, enabled)].spacing(12);

    if let Some(error) = editor.validation() {
        let location = super::editor::error_at(error)
            .map(|at| texts::error_location(language, &at, tariff))
            .unwrap_or_default();
        let mut lines = column![
            text(tr(language, Key::ValidationFailed))
                .size(14)
                .style(theme::text::error),
        ]
        .spacing(3);
        let message = texts::tariff_error(language, error);
        lines = lines.push(
            text(if location.is_empty() {
                message
            } else {
                format!("{location}：{message}")
            })
            .size(13)
            .style(theme::text::error),
        );
        page = page.push(
            container(lines)
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::error_box),
        );
    }
    if !editor.problems().is_empty() {
        page = page.push(
            container(
                text(texts::typed_problems(language, editor.problems().len()))
                    .size(13)
                    .style(theme::text::error),
            )
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::error_box),
        );
    }

    let index = editor.version();
    if let Some(version) = tariff.versions.get(index) {
        let status = version_status(tariff, index, today);
        let before = published.and_then(|published| {
            published
                .versions
                .iter()
                .find(|old| old.effective_from == version.effective_from)
        });
        page = page.push(version_form(
            language, editor, index, version, status, before, enabled,
        ));
    }
    page.into()
}

/// The versions to choose from, and 新增版本.
fn versions_bar<'a>(
    language: Language,
    editor: &'a Editor,
    today: NaiveDate,
    enabled: bool,
) -> Element<'a, Message> {
    let tariff = editor.tariff();
    let mut choices = row![
        text(tr(language, Key::EditVersion))
            .size(13)
            .style(theme::text::label)
    ]
    .spacing(6)
    .align_y(Alignment::Center);
    for (index, version) in tariff.versions.iter().enumerate() {
        let selected = index == editor.version();
        let status = version_status(tariff, index, today);
        let label = format!(
            "{} · {}",
            version.effective_from,
            texts::version_status(language, status)
        );
        choices = choices.push(
            button(text(label).size(13))
                .padding([4, 10])
                .style(theme::button::segment(selected))
                .on_press(Message::SelectVersion(index)),
        );
    }

    let can_add = enabled && editor.can_restructure();
    let date = text_input(
        tr(language, Key::DatePlaceholder),
        editor.new_version_date(),
    )
    .id(NEW_VERSION_DATE_INPUT)
    .padding([5, 8])
    .size(14)
    .width(Length::Fixed(130.0))
    .style(theme::text_input::field)
    .on_input_maybe(enabled.then_some(Message::NewVersionDateChanged))
    .on_submit_maybe(can_add.then_some(Message::AddVersion));
    let delta = text_input(
        tr(language, Key::PriceDeltaPlaceholder),
        editor.new_version_delta(),
    )
    .id(NEW_VERSION_DELTA_INPUT)
    .padding([5, 8])
    .size(14)
    .width(Length::Fixed(150.0))
    .style(theme::text_input::field)
    .on_input_maybe(enabled.then_some(Message::NewVersionDeltaChanged))
    .on_submit_maybe(can_add.then_some(Message::AddVersion));
    let mut add = column![
        row![
            text(tr(language, Key::NewVersionFrom))
                .size(13)
                .style(theme::text::label),
            date,
            text(tr(language, Key::PriceDelta))
                .size(13)
                .style(theme::text::label),
            delta,
            button(text(tr(language, Key::AddVersion)).size(13))
                .padding([5, 14])
                .style(theme::button::secondary)
                .on_press_maybe(can_add.then_some(Message::AddVersion)),
        ]
        .spacing(8)
        .align_y(Alignment::Center),
        text(tr(language, Key::AddVersionHint))
            .size(12)
            .style(theme::text::muted),
    ]
    .spacing(4);
    if let Some(problem) = editor.new_version_problem() {
        add = add.push(
            text(texts::new_version_problem(language, problem))
                .size(13)
                .style(theme::text::error),
        );
    }
    container(column![choices.wrap(), add].spacing(10))
        .padding([10, 14])
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

#[allow(clippy::too_many_arguments)]
fn version_form<'a>(
    language: Language,
    editor: &'a Editor,
    index: usize,
    version: &'a TariffVersion,
    status: VersionStatus,
    published: Option<&'a TariffVersion>,
    enabled: bool,
) -> Element<'a, Message> {
    let at = |field| FieldRef::new(index, field);
    let can_restructure = enabled && editor.can_restructure();
    let removable = status == VersionStatus::Future && editor.tariff().versions.len() > 1;
    let mut title = row![
        text(texts::version_title(language, version.effective_from)).size(17),
        status_badge(language, status),
    ]
    .spacing(10)
    .align_y(Alignment::Center);
    if removable {
        title = title.push(iced::widget::space::horizontal());
        title = title.push(small_button(
            tr(language, Key::RemoveVersion).to_owned(),
            can_restructure.then_some(Message::RemoveVersion(index)),
        ));
    }
    let mut lines = column![title].spacing(12);

    if status != VersionStatus::Future {
        let changed = published.is_some_and(|before| before != version);
        if changed {
            lines = lines.push(
                container(text(texts::in_force_changed(language, version.effective_from)).size(13))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::error_box),
            );
        } else if published.is_some() {
            lines = lines.push(
                container(text(tr(language, Key::InForceNote)).size(13))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::warning_box),
            );
        }
    }

    let vat_hint = editor
        .tariff()
        .versions
        .get(index)
        .map(|v| texts::percent(v.vat_rate));
    lines = lines.push(
        row![
            labelled(
                language,
                Key::EffectiveFrom,
                input(
                    language,
                    editor,
                    at(Field::EffectiveFrom),
                    130.0,
                    tr(language, Key::DatePlaceholder),
                    enabled,
                ),
                None,
            ),
            labelled(
                language,
                Key::VatRate,
                input(language, editor, at(Field::VatRate), 90.0, "0.09", enabled),
                vat_hint,
            ),
            labelled(
                language,
                Key::MinimumChargeYuan,
                input(
                    language,
                    editor,
                    at(Field::MinimumCharge),
                    110.0,
                    tr(language, Key::None),
                    enabled,
                ),
                None,
            ),
            cycle_fields(language, index, version.cycle, enabled),
        ]
        .spacing(24),
    );
    let flag = |label: Key, flag: Flag, on: bool| {
        checkbox(on)
            .label(tr(language, label))
            .size(16)
            .text_size(14)
            .on_toggle_maybe(enabled.then_some(move |on| Message::SetFlag {
                version: index,
                flag,
                on,
            }))
    };
    lines = lines.push(
        row![
            flag(
                Key::LowIncomePinnedOption,
                Flag::LowIncomePinned,
                version.low_income_pinned_to_tier1,
            ),
            flag(
                Key::ResetsCycleOption,
                Flag::ResetsCycle,
                version.price_change_resets_cycle,
            ),
        ]
        .spacing(28),
    );
    if !version.seasons.is_empty() {
        lines = lines.push(fact(
            language,
            Key::Seasons,
            format!(
                "{}（{}）",
                texts::seasons_text(language, &version.seasons),
                tr(language, Key::EditInAdvanced)
            ),
        ));
    }

    if !version.tier_tables.is_empty() {
        lines = lines.push(section_title(tr(language, Key::TierTables)));
        for (table_index, table) in version.tier_tables.iter().enumerate() {
            lines = lines.push(tier_grid(
                language,
                editor,
                index,
                table_index,
                table,
                enabled,
            ));
        }
    }

    if !version.flat_classes.is_empty() {
        lines = lines.push(section_title(tr(language, Key::FlatClasses)));
        for (class_index, class) in version.flat_classes.iter().enumerate() {
            let name = match &class.name {
                Some(name) => format!("{name}（{}）", class.code),
                None => class.code.clone(),
            };
            let mut prices = row![text(name).size(14).width(Length::Fixed(200.0))]
                .spacing(10)
                .align_y(Alignment::Start);
            if class.price.is_some() {
                prices = prices.push(price_with_label(
                    language,
                    editor,
                    at(Field::FlatPrice {
                        class: class_index,
                        season: None,
                    }),
                    own_price_label(language, !class.by_season.is_empty()),
                    enabled,
                ));
            }
            for (season_index, season) in class.by_season.iter().enumerate() {
                prices = prices.push(price_with_label(
                    language,
                    editor,
                    at(Field::FlatPrice {
                        class: class_index,
                        season: Some(season_index),
                    }),
                    texts::season_name(language, &season.season),
                    enabled,
                ));
            }
            lines = lines.push(prices);
        }
    }

    lines = lines.push(section_title(tr(language, Key::CustomerTypePrices)));
    for (entry_index, entry) in version.customer_type_prices.iter().enumerate() {
        let mut prices = row![
            text(texts::customer_type_name(language, entry.customer_type))
                .size(14)
                .width(Length::Fixed(200.0))
        ]
        .spacing(10)
        .align_y(Alignment::Start);
        if entry.price.is_some() {
            prices = prices.push(price_with_label(
                language,
                editor,
                at(Field::TypePrice {
                    entry: entry_index,
                    season: None,
                }),
                own_price_label(language, !entry.by_season.is_empty()),
                enabled,
            ));
        }
        for (season_index, season) in entry.by_season.iter().enumerate() {
            prices = prices.push(price_with_label(
                language,
                editor,
                at(Field::TypePrice {
                    entry: entry_index,
                    season: Some(season_index),
                }),
                texts::season_name(language, &season.season),
                enabled,
            ));
        }
        prices = prices.push(
            container(small_button(
                tr(language, Key::Remove).to_owned(),
                can_restructure.then_some(Message::RemoveTypePrice {
                    version: index,
                    entry: entry_index,
                }),
            ))
            .padding([18, 0]),
        );
        lines = lines.push(prices);
    }
    let missing: Vec<CustomerType> = CustomerType::ALL
        .into_iter()
        .filter(|kind| {
            *kind != CustomerType::Residential && version.customer_type_price(*kind).is_none()
        })
        .collect();
    if !missing.is_empty() {
        let mut add = row![
            text(tr(language, Key::AddTypePrice))
                .size(13)
                .style(theme::text::label)
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        for kind in missing {
            add = add.push(small_button(
                format!("+ {}", texts::customer_type_name(language, kind)),
                can_restructure.then_some(Message::AddTypePrice {
                    version: index,
                    customer_type: kind,
                }),
            ));
        }
        lines = lines.push(add);
    }

    if !version.fixed_charges.is_empty() {
        lines = lines.push(section_title(tr(language, Key::FixedCharges)));
        for (charge_index, charge) in version.fixed_charges.iter().enumerate() {
            lines = lines.push(
                row![
                    text(charge.name.as_str())
                        .size(14)
                        .width(Length::Fixed(200.0)),
                    input(
                        language,
                        editor,
                        at(Field::FixedAmount {
                            charge: charge_index
                        }),
                        110.0,
                        "0.00",
                        enabled,
                    ),
                    text(texts::customer_types_text(language, &charge.customer_types))
                        .size(13)
                        .style(theme::text::muted),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
    }

    lines = lines.push(section_title(tr(language, Key::LateFees)));
    for (rule_index, rule) in version.late_fees.iter().enumerate() {
        lines = lines.push(late_fee_form(
            language,
            editor,
            index,
            rule_index,
            rule,
            enabled,
            can_restructure,
        ));
    }
    let can_add_rule = !version
        .late_fees
        .iter()
        .any(|r| r.customer_types.is_empty())
        || CustomerType::ALL.into_iter().any(|kind| {
            !version
                .late_fees
                .iter()
                .any(|rule| rule.customer_types.contains(&kind))
        });
    if version.late_fees.is_empty() {
        lines = lines.push(
            text(tr(language, Key::NoLateFee))
                .size(13)
                .style(theme::text::muted),
        );
    }
    lines = lines.push(small_button(
        tr(language, Key::AddLateFee).to_owned(),
        (can_restructure && can_add_rule).then_some(Message::AddLateFee { version: index }),
    ));

    if !version.notes.is_empty() {
        lines = lines.push(super::notes_box(
            language,
            Key::VersionNotes,
            &version.notes,
        ));
    }

    container(lines)
        .padding(18)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

fn own_price_label(language: Language, has_seasons: bool) -> String {
    tr(
        language,
        if has_seasons {
            Key::OtherSeasons
        } else {
            Key::WholeYear
        },
    )
    .to_owned()
}

fn price_with_label<'a>(
    language: Language,
    editor: &Editor,
    at: FieldRef,
    label: String,
    enabled: bool,
) -> Element<'a, Message> {
    column![
        text(label).size(12).style(theme::text::muted),
        input(language, editor, at, 110.0, "0.00", enabled),
    ]
    .spacing(2)
    .into()
}

fn cycle_fields<'a>(
    language: Language,
    version: usize,
    cycle: Cycle,
    enabled: bool,
) -> Element<'a, Message> {
    let months: Vec<Choice> = Cycle::MONTHS_ALLOWED
        .into_iter()
        .map(|months| Choice {
            value: months,
            label: texts::cycle_months_name(language, months),
        })
        .collect();
    let starts: Vec<Choice> = (1..=12)
        .map(|month| Choice {
            value: month,
            label: texts::month_name(language, month),
        })
        .collect();
    let chosen_months = months.iter().find(|c| c.value == cycle.months).copied();
    let chosen_start = starts
        .iter()
        .find(|c| c.value == cycle.start_month)
        .copied();
    let months: Element<'a, Message> = if enabled {
        pick_list(months, chosen_months, move |choice| Message::CycleMonths {
            version,
            months: choice.value,
        })
        .text_size(14)
        .padding([5, 8])
        .width(Length::Fixed(110.0))
        .style(|theme, status| theme::pick_list::field(theme, status, false))
        .into()
    } else {
        text(texts::cycle_months_name(language, cycle.months))
            .size(14)
            .into()
    };
    let starts: Element<'a, Message> = if enabled && cycle.months != 1 {
        pick_list(starts, chosen_start, move |choice| {
            Message::CycleStartMonth {
                version,
                month: choice.value,
            }
        })
        .text_size(14)
        .padding([5, 8])
        .width(Length::Fixed(90.0))
        .style(|theme, status| theme::pick_list::field(theme, status, false))
        .into()
    } else {
        text(texts::month_name(language, cycle.start_month))
            .size(14)
            .into()
    };
    column![
        text(tr(language, Key::Cycle))
            .size(13)
            .style(theme::text::label),
        row![months, text(tr(language, Key::StartMonth)).size(13), starts]
            .spacing(8)
            .align_y(Alignment::Center),
    ]
    .spacing(4)
    .into()
}

/// One tier table as a grid: a column per tier, a row of upper limits and
/// a row of prices per list (the table's own, each season's).
#[allow(clippy::too_many_arguments)]
fn tier_grid<'a>(
    language: Language,
    editor: &'a Editor,
    version_index: usize,
    table_index: usize,
    table: &'a TierTable,
    enabled: bool,
) -> Element<'a, Message> {
    const LABEL_WIDTH: f32 = 190.0;
    const CELL_WIDTH: f32 = 110.0;
    let tiers = tier_count(table);
    let title = texts::table_title(language, table);

    let mut header = row![text("").width(Length::Fixed(LABEL_WIDTH))].spacing(8);
    for tier in 1..=tiers {
        header = header.push(
            text(texts::tier_name(language, tier))
                .size(13)
                .style(theme::text::label)
                .width(Length::Fixed(CELL_WIDTH)),
        );
    }
    let mut grid = column![header].spacing(6);
    for list in tier_lists(table) {
        let list_label = match list {
            TierList::Own if table.by_season.is_empty() => None,
            TierList::Own => Some(tr(language, Key::OtherSeasons).to_owned()),
            TierList::Season(season) => table
                .by_season
                .get(season)
                .map(|entry| texts::season_name(language, &entry.season)),
        };
        let row_label = |key: Key| match &list_label {
            Some(prefix) => format!("{prefix} · {}", tr(language, key)),
            None => tr(language, key).to_owned(),
        };
        let (boundaries, prices) = tier_list(table, list);
        if let Some(boundaries) = boundaries {
            let mut line = row![
                text(row_label(Key::TierEndsAt))
                    .size(13)
                    .width(Length::Fixed(LABEL_WIDTH))
            ]
            .spacing(8)
            .align_y(Alignment::Start);
            for index in 0..tiers {
                line = line.push(if index < boundaries.len() {
                    input(
                        language,
                        editor,
                        FieldRef::new(
                            version_index,
                            Field::Boundary {
                                table: table_index,
                                list,
                                index,
                            },
                        ),
                        CELL_WIDTH,
                        "m³",
                        enabled,
                    )
                } else {
                    container(
                        text(tr(language, Key::NoLimit))
                            .size(13)
                            .style(theme::text::muted),
                    )
                    .padding([6, 8])
                    .width(Length::Fixed(CELL_WIDTH))
                    .into()
                });
            }
            grid = grid.push(line);
        }
        if let Some(prices) = prices {
            let mut line = row![
                text(row_label(Key::TierPriceRow))
                    .size(13)
                    .width(Length::Fixed(LABEL_WIDTH))
            ]
            .spacing(8)
            .align_y(Alignment::Start);
            for index in 0..prices.len() {
                line = line.push(input(
                    language,
                    editor,
                    FieldRef::new(
                        version_index,
                        Field::TierPrice {
                            table: table_index,
                            list,
                            index,
                        },
                    ),
                    CELL_WIDTH,
                    "0.00",
                    enabled,
                ));
            }
            grid = grid.push(line);
        }
    }

    let can_restructure = enabled && editor.can_restructure();
    let mut lines = column![
        row![
            text(title).size(14).width(Length::Fill),
            small_button(
                tr(language, Key::AddTier).to_owned(),
                can_restructure.then_some(Message::AddTier {
                    version: version_index,
                    table: table_index,
                }),
            ),
            small_button(
                tr(language, Key::RemoveTier).to_owned(),
                (can_restructure && tiers > 1).then_some(Message::RemoveTier {
                    version: version_index,
                    table: table_index,
                }),
            ),
        ]
        .spacing(8)
        .align_y(Alignment::Center),
        grid,
    ]
    .spacing(8);
    if editor.validation_table() == Some((version_index, table_index))
        && editor.validation_field().is_none()
        && let Some(error) = editor.validation()
    {
        lines = lines.push(
            text(texts::tariff_error(language, error))
                .size(13)
                .style(theme::text::error),
        );
    }
    for (step_index, step) in table.household_uplift.iter().enumerate() {
        lines = lines.push(
            row![
                text(texts::uplift_label(language, step.from_household_size)).size(13),
                input(
                    language,
                    editor,
                    FieldRef::new(
                        version_index,
                        Field::UpliftAdd {
                            table: table_index,
                            index: step_index,
                        },
                    ),
                    90.0,
                    "m³",
                    enabled,
                ),
                text("m³").size(13),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        );
    }
    container(lines)
        .padding([10, 12])
        .width(Length::Fill)
        .style(theme::container::summary)
        .into()
}

#[allow(clippy::too_many_arguments)]
fn late_fee_form<'a>(
    language: Language,
    editor: &'a Editor,
    version: usize,
    rule_index: usize,
    rule: &'a gascis_common::tariff::LateFeeRule,
    enabled: bool,
    can_restructure: bool,
) -> Element<'a, Message> {
    let at = |field| FieldRef::new(version, field);
    let mut types = row![
        text(tr(language, Key::AppliesTo))
            .size(13)
            .style(theme::text::label)
    ]
    .spacing(12)
    .align_y(Alignment::Center);
    for kind in CustomerType::ALL {
        types = types.push(
            checkbox(rule.customer_types.contains(&kind))
                .label(texts::customer_type_name(language, kind))
                .size(16)
                .text_size(14)
                .on_toggle_maybe(enabled.then_some(move |on| Message::SetFlag {
                    version,
                    flag: Flag::LateFeeFor {
                        rule: rule_index,
                        customer_type: kind,
                    },
                    on,
                })),
        );
    }
    if rule.customer_types.is_empty() {
        types = types.push(
            text(tr(language, Key::AllOtherTypes))
                .size(13)
                .style(theme::text::muted),
        );
    }
    types = types.push(iced::widget::space::horizontal());
    types = types.push(small_button(
        tr(language, Key::RemoveRule).to_owned(),
        can_restructure.then_some(Message::RemoveLateFee {
            version,
            rule: rule_index,
        }),
    ));
    let rate_hint = Some(texts::per_mille(rule.rate_per_day));
    let fields = row![
        labelled(
            language,
            Key::RatePerDay,
            input(
                language,
                editor,
                at(Field::LateRate { rule: rule_index }),
                100.0,
                "0.001",
                enabled
            ),
            rate_hint,
        ),
        labelled(
            language,
            Key::GraceDays,
            input(
                language,
                editor,
                at(Field::LateGraceDays { rule: rule_index }),
                70.0,
                "0",
                enabled
            ),
            None,
        ),
        labelled(
            language,
            Key::LateMinimumYuan,
            input(
                language,
                editor,
                at(Field::LateMinimum { rule: rule_index }),
                90.0,
                tr(language, Key::None),
                enabled
            ),
            None,
        ),
        labelled(
            language,
            Key::LateCapYuan,
            input(
                language,
                editor,
                at(Field::LateCap { rule: rule_index }),
                100.0,
                tr(language, Key::None),
                enabled
            ),
            None,
        ),
        labelled(
            language,
            Key::CapOfPrincipal,
            input(
                language,
                editor,
                at(Field::LateCapOfPrincipal { rule: rule_index }),
                90.0,
                tr(language, Key::None),
                enabled
            ),
            None,
        ),
    ]
    .spacing(18);
    let grace = checkbox(rule.charge_grace_days_when_exceeded)
        .label(tr(language, Key::ChargeGraceDaysOption))
        .size(16)
        .text_size(14)
        .on_toggle_maybe(enabled.then_some(move |on| Message::SetFlag {
            version,
            flag: Flag::ChargeGraceDays { rule: rule_index },
            on,
        }));
    container(column![types, fields, grace].spacing(10))
        .padding([10, 12])
        .width(Length::Fill)
        .style(theme::container::summary)
        .into()
}

/// 高级: the whole document as TOML.
pub fn advanced<'a>(language: Language, editor: &'a Editor, enabled: bool) -> Element<'a, Message> {
    let mut lines = column![
        text(tr(language, Key::AdvancedTitle)).size(16),
        text(tr(language, Key::AdvancedHint))
            .size(13)
            .style(theme::text::muted),
    ]
    .spacing(8);
    if let Some(problem) = editor.raw_problem() {
        let location = super::editor::error_at(problem)
            .map(|at| texts::error_location(language, &at, editor.tariff()))
            .unwrap_or_default();
        let message = texts::tariff_error(language, problem);
        lines = lines.push(
            container(
                text(if location.is_empty() {
                    message
                } else {
                    format!("{location}：{message}")
                })
                .size(13)
                .font(MONOSPACE),
            )
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::error_box),
        );
    } else if let Some(error) = editor.validation() {
        lines = lines.push(
            container(text(texts::tariff_error(language, error)).size(13))
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::error_box),
        );
    }
    let mut raw = text_editor(editor.raw())
        .id(RAW_EDITOR)
        .font(MONOSPACE)
        .size(14)
        .height(Length::Fixed(520.0))
        .padding(10);
    if enabled {
        raw = raw.on_action(Message::RawEdited);
    }
    lines = lines.push(raw);
    container(lines)
        .padding(18)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// What the server said when it refused a save or a publication: its
/// reason in the user's words, with the field it names.
pub fn server_problem<'a, M: 'a>(
    language: Language,
    title: Key,
    problem: &ApiError,
    editor: &Editor,
) -> Element<'a, M> {
    let mut lines =
        column![text(tr(language, title)).size(14).style(theme::text::error)].spacing(3);
    match problem {
        ApiError::Refused(reason) => {
            lines = lines
                .push(
                    text(texts::refusal(language, reason))
                        .size(14)
                        .style(theme::text::error),
                )
                .push(text(reason.clone()).size(12).style(theme::text::muted));
        }
        ApiError::InvalidField { field, message } => {
            let (at, words) = message
                .split_once(": ")
                .filter(|(at, _)| at.starts_with("versions["))
                .map_or((None, message.as_str()), |(at, words)| (Some(at), words));
            let location = at.map(|at| texts::error_location(language, at, editor.tariff()));
            let said = match location {
                Some(location) => format!("{location}：{words}"),
                None => words.to_owned(),
            };
            lines = lines.push(text(said).size(13).style(theme::text::error));
            if !field.is_empty() {
                lines = lines.push(
                    text(format!("{}: {field}", tr(language, Key::ServerField)))
                        .size(12)
                        .style(theme::text::muted),
                );
            }
        }
        other => {
            let error = i18n::error_text(language, other);
            lines = lines.push(text(error.headline).size(13).style(theme::text::error));
            if let Some(advice) = error.advice {
                lines = lines.push(text(advice).size(12).style(theme::text::muted));
            }
            if let Some(detail) = error.detail {
                lines = lines.push(text(detail).size(12).style(theme::text::muted));
            }
        }
    }
    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::error_box)
        .into()
}
