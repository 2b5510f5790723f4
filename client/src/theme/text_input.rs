//! Text input styles.

use iced::widget::text_input::{Status, Style};
use iced::{Background, Border, Color, Theme};

use super::{BORDER, DISABLED_FIELD, ERROR, MUTED, PRIMARY, SELECTED, TEXT};

/// A form field: white with a grey border that turns blue while focused.
pub fn field(_theme: &Theme, status: Status) -> Style {
    let (background, border_color, value) = match status {
        Status::Active => (Color::WHITE, BORDER, TEXT),
        Status::Hovered => (Color::WHITE, Color::from_rgb8(0xa9, 0xb4, 0xc2), TEXT),
        Status::Focused { .. } => (Color::WHITE, PRIMARY, TEXT),
        Status::Disabled => (DISABLED_FIELD, BORDER, MUTED),
    };
    Style {
        background: Background::Color(background),
        border: Border {
            color: border_color,
            width: 1.0,
            radius: 4.0.into(),
        },
        icon: MUTED,
        placeholder: Color::from_rgb8(0x9a, 0xa5, 0xb1),
        value,
        selection: SELECTED,
    }
}

/// A form field whose value has a problem: the border stays red.
pub fn invalid(theme: &Theme, status: Status) -> Style {
    let style = field(theme, status);
    Style {
        border: Border {
            color: ERROR,
            ..style.border
        },
        ..style
    }
}
