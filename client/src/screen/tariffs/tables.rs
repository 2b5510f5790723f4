//! 方案内容: a tariff as the tables a back-office clerk reads, not TOML.
//! Per version: its date and status, cycle, VAT, minimum charge and flags,
//! the seasons, each tier table (per season when its tiers depend on the
//! season) with the household uplift, the flat classes, the prices of the
//! other customer types, the fixed charges and the late-fee rules.

use chrono::NaiveDate;
use gascis_common::tariff::{
    LateFeeRule, SeasonalPrice, Tariff, TariffVersion, TierTable, UnitPrice, Volume,
};
use iced::widget::{column, container, row, text};
use iced::{Alignment, Element, Length};

use super::editor::volume_text;
use crate::i18n::tariffs::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow, cell};

/// Where a version stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    /// The version prices today's consumption.
    InForce,
    /// Takes effect later.
    Future,
    /// A later version took over.
    Replaced,
}

/// Where `version` stands on `today`: in force, still to come, or replaced.
pub fn version_status(tariff: &Tariff, index: usize, today: NaiveDate) -> VersionStatus {
    let in_force = tariff
        .versions
        .iter()
        .rposition(|version| version.effective_from <= today);
    match in_force {
        Some(current) if current == index => VersionStatus::InForce,
        Some(current) if index < current => VersionStatus::Replaced,
        _ => VersionStatus::Future,
    }
}

/// The whole document, newest version first: the one people ask about.
pub fn document<'a, M: Clone + 'a>(
    language: Language,
    tariff: &'a Tariff,
    today: NaiveDate,
) -> Element<'a, M> {
    let mut versions = column![].spacing(14);
    for (index, version) in tariff.versions.iter().enumerate().rev() {
        versions = versions.push(version_card(
            language,
            version,
            version_status(tariff, index, today),
        ));
    }
    versions.into()
}

/// A label and its value, side by side.
pub fn fact<'a, M: Clone + 'a>(language: Language, label: Key, value: String) -> Element<'a, M> {
    row![
        text(tr(language, label)).size(13).style(theme::text::label),
        text(value).size(14),
    ]
    .spacing(6)
    .align_y(Alignment::Center)
    .into()
}

/// A title inside a version.
pub fn section_title<'a, M: Clone + 'a>(title: impl text::IntoFragment<'a>) -> Element<'a, M> {
    text(title).size(15).style(theme::text::section).into()
}

/// The badge of a version's status.
pub fn status_badge<'a, M: Clone + 'a>(
    language: Language,
    status: VersionStatus,
) -> Element<'a, M> {
    let tone = match status {
        VersionStatus::InForce => Tone::Good,
        VersionStatus::Future => Tone::Caution,
        VersionStatus::Replaced => Tone::Neutral,
    };
    widget::badge(texts::version_status(language, status), tone)
}

fn version_card<'a, M: Clone + 'a>(
    language: Language,
    version: &'a TariffVersion,
    status: VersionStatus,
) -> Element<'a, M> {
    let mut lines = column![
        row![
            text(texts::version_title(language, version.effective_from)).size(17),
            status_badge(language, status),
        ]
        .spacing(10)
        .align_y(Alignment::Center),
        row![
            fact(
                language,
                Key::Cycle,
                texts::cycle_text(language, version.cycle)
            ),
            fact(language, Key::VatRate, texts::percent(version.vat_rate)),
            fact(
                language,
                Key::MinimumCharge,
                version.minimum_charge.map_or_else(
                    || tr(language, Key::None).to_owned(),
                    |m| texts::yuan(language, &m.to_string())
                ),
            ),
        ]
        .spacing(28),
        row![
            fact(
                language,
                Key::LowIncome,
                tr(
                    language,
                    if version.low_income_pinned_to_tier1 {
                        Key::LowIncomePinned
                    } else {
                        Key::LowIncomeTiered
                    }
                )
                .to_owned(),
            ),
            fact(
                language,
                Key::ResetsCycle,
                tr(
                    language,
                    if version.price_change_resets_cycle {
                        Key::Yes
                    } else {
                        Key::No
                    }
                )
                .to_owned(),
            ),
            fact(
                language,
                Key::IcCardAllowance,
                texts::ic_card_allowance(language, version.ic_card_allowance).to_owned(),
            ),
        ]
        .spacing(28),
    ]
    .spacing(10);

    if !version.seasons.is_empty() {
        lines = lines.push(fact(
            language,
            Key::Seasons,
            texts::seasons_text(language, &version.seasons),
        ));
    }

    if !version.tier_tables.is_empty() {
        lines = lines.push(section_title(tr(language, Key::TierTables)));
        for table in &version.tier_tables {
            lines = lines.push(tier_table(language, version, table));
        }
    }
    if !version.flat_classes.is_empty() {
        lines = lines.push(section_title(tr(language, Key::FlatClasses)));
        lines = lines.push(seasonal_prices(
            language,
            version,
            tr(language, Key::FlatClass),
            version.flat_classes.iter().map(|class| {
                let name = match &class.name {
                    Some(name) => format!("{name}（{}）", class.code),
                    None => class.code.clone(),
                };
                (name, class as &dyn SeasonalPrice)
            }),
        ));
    }
    if !version.customer_type_prices.is_empty() {
        lines = lines.push(section_title(tr(language, Key::CustomerTypePrices)));
        lines = lines.push(seasonal_prices(
            language,
            version,
            tr(language, Key::CustomerType),
            version.customer_type_prices.iter().map(|entry| {
                (
                    texts::customer_type_name(language, entry.customer_type).to_owned(),
                    entry as &dyn SeasonalPrice,
                )
            }),
        ));
    }
    if !version.fixed_charges.is_empty() {
        lines = lines.push(section_title(tr(language, Key::FixedCharges)));
        let columns = [
            TableColumn::new(tr(language, Key::ChargeName), Length::Fixed(220.0)),
            TableColumn::new(tr(language, Key::Amount), Length::Fixed(140.0)),
            TableColumn::new(tr(language, Key::AppliesTo), Length::Fill),
        ];
        lines = lines.push(widget::table(
            &columns,
            version.fixed_charges.iter().map(|charge| {
                TableRow::new(vec![
                    cell(charge.name.as_str()),
                    cell(charge.amount.to_string()),
                    cell(texts::customer_types_text(language, &charge.customer_types)),
                ])
            }),
        ));
    }
    if !version.late_fees.is_empty() {
        lines = lines.push(section_title(tr(language, Key::LateFees)));
        lines = lines.push(late_fees(language, &version.late_fees));
    }
    let missing = texts::missing_parts(language, version);
    if !missing.is_empty() {
        lines = lines.push(text(missing).size(13).style(theme::text::muted));
    }
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

/// The seasons a table's tiers are shown for: each of the version's
/// seasons when the table depends on them, else the whole year.
fn shown_seasons(version: &TariffVersion, seasonal: bool) -> Vec<Option<&str>> {
    if seasonal && !version.seasons.is_empty() {
        version
            .seasons
            .iter()
            .map(|season| Some(season.name.as_str()))
            .collect()
    } else {
        vec![None]
    }
}

/// The range of tier `index` (0-based) between the boundaries.
fn range(language: Language, boundaries: &[Volume], index: usize) -> String {
    let start = index
        .checked_sub(1)
        .and_then(|previous| boundaries.get(previous))
        .copied()
        .unwrap_or(Volume::ZERO);
    match boundaries.get(index) {
        Some(end) => format!("{} – {}", volume_text(start), volume_text(*end)),
        None => texts::above(language, &volume_text(start)),
    }
}

fn tier_table<'a, M: Clone + 'a>(
    language: Language,
    version: &'a TariffVersion,
    table: &'a TierTable,
) -> Element<'a, M> {
    let seasons = shown_seasons(version, table.uses_seasons());
    let tiers: Vec<Option<(&[Volume], &[UnitPrice])>> = seasons
        .iter()
        .map(|season| table.tiers_for(*season))
        .collect();
    let tier_count = tiers
        .iter()
        .flatten()
        .map(|(_, prices)| prices.len())
        .max()
        .unwrap_or(0);

    let mut columns = vec![TableColumn::new(
        tr(language, Key::Tier),
        Length::Fixed(110.0),
    )];
    for season in &seasons {
        let prefix = season.map(|name| texts::season_name(language, name));
        let header = |key: Key| match &prefix {
            Some(prefix) => format!("{prefix} {}", tr(language, key)),
            None => tr(language, key).to_owned(),
        };
        columns.push(TableColumn::new(
            header(Key::TierVolume),
            Length::Fixed(170.0),
        ));
        columns.push(TableColumn::new(
            header(Key::UnitPrice),
            Length::Fixed(130.0),
        ));
    }
    let rows = (0..tier_count).map(|index| {
        let mut cells = vec![cell(texts::tier_name(language, index + 1))];
        for list in &tiers {
            match list {
                Some((boundaries, prices)) if index < prices.len() => {
                    cells.push(cell(range(language, boundaries, index)));
                    cells.push(cell(prices[index].to_string()));
                }
                _ => {
                    cells.push(cell("—"));
                    cells.push(cell("—"));
                }
            }
        }
        TableRow::new(cells)
    });

    let title = texts::table_title(language, table);
    let mut lines = column![
        text(title).size(14),
        widget::table(&columns, rows.collect::<Vec<_>>()),
    ]
    .spacing(6);
    let mut steps: Vec<_> = table.household_uplift.iter().collect();
    steps.sort_by_key(|step| step.from_household_size);
    for step in steps {
        lines = lines.push(
            text(texts::uplift_text(
                language,
                step.from_household_size,
                &volume_text(step.add_m3),
            ))
            .size(13)
            .style(theme::text::muted),
        );
    }
    lines.into()
}

/// Flat classes or customer types: a name and a price per season.
fn seasonal_prices<'a, 'b, M: Clone + 'a>(
    language: Language,
    version: &'a TariffVersion,
    name_header: &str,
    entries: impl Iterator<Item = (String, &'b dyn SeasonalPrice)>,
) -> Element<'a, M> {
    let entries: Vec<(String, &dyn SeasonalPrice)> = entries.collect();
    let seasonal = entries.iter().any(|(_, entry)| entry.uses_seasons());
    let seasons = shown_seasons(version, seasonal);
    let mut columns = vec![TableColumn::new(name_header, Length::Fixed(220.0))];
    for season in &seasons {
        let header = match season {
            Some(name) => format!(
                "{} {}",
                texts::season_name(language, name),
                tr(language, Key::UnitPrice)
            ),
            None => tr(language, Key::UnitPrice).to_owned(),
        };
        columns.push(TableColumn::new(header, Length::Fixed(150.0)));
    }
    let rows: Vec<TableRow<'a, M>> = entries
        .into_iter()
        .map(|(name, entry)| {
            let mut cells = vec![cell(name)];
            for season in &seasons {
                cells.push(cell(
                    entry
                        .price_for(*season)
                        .map_or_else(|| "—".to_owned(), |price| price.to_string()),
                ));
            }
            TableRow::new(cells)
        })
        .collect();
    widget::table(&columns, rows)
}

fn late_fees<'a, M: Clone + 'a>(language: Language, rules: &'a [LateFeeRule]) -> Element<'a, M> {
    let columns = [
        TableColumn::new(tr(language, Key::AppliesTo), Length::Fixed(180.0)),
        TableColumn::new(tr(language, Key::RatePerDay), Length::Fixed(110.0)),
        TableColumn::new(tr(language, Key::GraceDays), Length::Fixed(90.0)),
        TableColumn::new(tr(language, Key::ChargeGraceDays), Length::Fixed(150.0)),
        TableColumn::new(tr(language, Key::LateMinimum), Length::Fixed(90.0)),
        TableColumn::new(tr(language, Key::LateCap), Length::Fixed(100.0)),
        TableColumn::new(tr(language, Key::CapOfPrincipal), Length::Fill),
    ];
    let none = || tr(language, Key::None).to_owned();
    widget::table(
        &columns,
        rules.iter().map(|rule| {
            TableRow::new(vec![
                cell(texts::customer_types_text(language, &rule.customer_types)),
                cell(texts::per_mille(rule.rate_per_day)),
                cell(rule.grace_days.to_string()),
                cell(tr(
                    language,
                    if rule.charge_grace_days_when_exceeded {
                        Key::Yes
                    } else {
                        Key::No
                    },
                )),
                cell(rule.minimum.map_or_else(none, |m| m.to_string())),
                cell(rule.cap.map_or_else(none, |m| m.to_string())),
                cell(rule.cap_of_principal.map_or_else(none, texts::percent)),
            ])
        }),
    )
}
