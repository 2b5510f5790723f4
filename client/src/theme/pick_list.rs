//! Pick list styles.

use iced::widget::pick_list::{Status, Style};
use iced::{Background, Border, Color, Theme};

use super::{BORDER, ERROR, MUTED, PRIMARY, TEXT};

/// A choice in a form, drawn like a text field; `invalid` keeps the border red.
pub fn field(_theme: &Theme, status: Status, invalid: bool) -> Style {
    let border_color = match status {
        _ if invalid => ERROR,
        Status::Active => BORDER,
        Status::Hovered => Color::from_rgb8(0xa9, 0xb4, 0xc2),
        Status::Opened { .. } => PRIMARY,
    };
    Style {
        text_color: TEXT,
        placeholder_color: Color::from_rgb8(0x9a, 0xa5, 0xb1),
        handle_color: MUTED,
        background: Background::Color(Color::WHITE),
        border: Border {
            color: border_color,
            width: 1.0,
            radius: 4.0.into(),
        },
    }
}
