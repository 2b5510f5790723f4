//! View pieces shared by several screens.

mod keys;

pub use keys::{on_key_before, on_unhandled_key};

use iced::widget::{button, center, column, container, mouse_area, opaque, row, stack, text};
use iced::{Alignment, Element, Length};

use crate::i18n::Language;
use crate::theme;

/// 中文 / English buttons; the current language is shown selected. Both
/// labels stay in their own language so anyone can find theirs.
pub fn language_switch<'a, Message: Clone + 'a>(
    current: Language,
    on_select: impl Fn(Language) -> Message,
) -> Element<'a, Message> {
    row(Language::ALL.into_iter().map(|language| {
        let selected = language == current;
        button(text(language.native_name()).size(theme::TEXT_SMALL))
            .padding([3, 10])
            .style(theme::button::language(selected))
            .on_press_maybe((!selected).then(|| on_select(language)))
            .into()
    }))
    .spacing(6)
    .align_y(Alignment::Center)
    .into()
}

/// The deep blue bar across the top: `left` content, then `right` content
/// pushed to the right edge.
pub fn header_bar<'a, Message: 'a>(
    left: impl Into<Element<'a, Message>>,
    right: impl Into<Element<'a, Message>>,
) -> Element<'a, Message> {
    container(
        row![left.into(), iced::widget::space::horizontal(), right.into()]
            .spacing(16)
            .align_y(Alignment::Center),
    )
    .padding([10, 20])
    .width(Length::Fill)
    .style(theme::container::header_bar)
    .into()
}

/// A column of a [`table`]: its header and width.
#[derive(Debug, Clone)]
pub struct TableColumn {
    pub header: String,
    pub width: Length,
}

impl TableColumn {
    pub fn new(header: impl Into<String>, width: impl Into<Length>) -> Self {
        TableColumn {
            header: header.into(),
            width: width.into(),
        }
    }
}

/// A row of a [`table`]: its cells, and what a click does.
pub struct TableRow<'a, Message> {
    pub cells: Vec<Element<'a, Message>>,
    pub selected: bool,
    pub on_press: Option<Message>,
    pub on_double_click: Option<Message>,
}

impl<'a, Message> TableRow<'a, Message> {
    /// A row that only shows its cells.
    pub fn new(cells: Vec<Element<'a, Message>>) -> Self {
        TableRow {
            cells,
            selected: false,
            on_press: None,
            on_double_click: None,
        }
    }
}

/// The text of a table cell.
pub fn cell<'a, Message: 'a>(value: impl text::IntoFragment<'a>) -> Element<'a, Message> {
    text(value).size(14).into()
}

/// A dense table: a grey header, zebra rows, a blue selected row. Rows
/// with `on_press` react to clicks (and double clicks).
pub fn table<'a, Message: Clone + 'a>(
    columns: &[TableColumn],
    rows: impl IntoIterator<Item = TableRow<'a, Message>>,
) -> Element<'a, Message> {
    const CELL_PADDING: [u16; 2] = [6, 8];

    let header = container(row(columns.iter().map(|column| {
        container(text(column.header.clone()).size(13))
            .width(column.width)
            .padding(CELL_PADDING)
            .into()
    })))
    .width(Length::Fill)
    .style(theme::container::table_header);

    let body = column(rows.into_iter().enumerate().map(|(index, table_row)| {
        let TableRow {
            cells,
            selected,
            on_press,
            on_double_click,
        } = table_row;
        let line = container(
            row(cells.into_iter().zip(columns).map(|(cell, column)| {
                container(cell)
                    .width(column.width)
                    .padding(CELL_PADDING)
                    .into()
            }))
            .align_y(Alignment::Center),
        )
        .width(Length::Fill)
        .style(theme::container::table_row(index, selected));
        if on_press.is_some() || on_double_click.is_some() {
            let mut area = mouse_area(line).interaction(iced::mouse::Interaction::Pointer);
            if let Some(message) = on_press {
                area = area.on_press(message);
            }
            if let Some(message) = on_double_click {
                area = area.on_double_click(message);
            }
            area.into()
        } else {
            line.into()
        }
    }));

    column![
        header,
        container(body)
            .width(Length::Fill)
            .style(theme::container::table_frame)
    ]
    .width(Length::Fill)
    .into()
}

/// `content` shown over `base`, which is veiled and does not take clicks.
/// Clicking the veil does nothing: a dialog with typed values must not
/// vanish by a slip of the mouse.
pub fn modal<'a, Message: 'a>(
    base: impl Into<Element<'a, Message>>,
    content: impl Into<Element<'a, Message>>,
) -> Element<'a, Message> {
    stack![
        base.into(),
        opaque(
            center(opaque(content))
                .padding(20)
                .style(theme::container::backdrop)
        )
    ]
    .into()
}

/// A row of tabs over a line; `selected` is drawn open.
pub fn tab_bar<'a, Tab: Copy + PartialEq + 'a, Message: Clone + 'a>(
    tabs: impl IntoIterator<Item = (Tab, String)>,
    selected: Tab,
    on_select: impl Fn(Tab) -> Message,
) -> Element<'a, Message> {
    let buttons = row(tabs.into_iter().map(|(tab, label)| {
        let is_selected = tab == selected;
        button(text(label).size(14))
            .padding([7, 16])
            .style(theme::button::tab(is_selected))
            .on_press_maybe((!is_selected).then(|| on_select(tab)))
            .into()
    }))
    .spacing(2);
    column![
        buttons,
        container(iced::widget::space::horizontal())
            .width(Length::Fill)
            .height(1)
            .style(theme::container::tab_line),
    ]
    .into()
}

/// A small coloured label such as a status.
pub fn badge<'a, Message: 'a>(
    label: impl text::IntoFragment<'a>,
    tone: theme::container::Tone,
) -> Element<'a, Message> {
    container(text(label).size(12))
        .padding([2, 10])
        .style(theme::container::badge(tone))
        .into()
}

/// Buttons of which one is chosen, e.g. the kind of a search.
pub fn segmented<'a, T: Copy + PartialEq + 'a, Message: Clone + 'a>(
    options: impl IntoIterator<Item = (T, String)>,
    selected: T,
    on_select: impl Fn(T) -> Message,
) -> Element<'a, Message> {
    row(options.into_iter().map(|(value, label)| {
        let is_selected = value == selected;
        button(text(label).size(13))
            .padding([4, 10])
            .style(theme::button::segment(is_selected))
            .on_press(on_select(value))
            .into()
    }))
    .spacing(4)
    .into()
}
