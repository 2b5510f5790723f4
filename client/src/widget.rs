//! View pieces shared by several screens.

use iced::widget::{button, container, row, text};
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
