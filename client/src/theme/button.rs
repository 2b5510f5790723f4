//! Button styles.

use iced::widget::button::{Status, Style};
use iced::{Background, Border, Color, Theme};

use super::{BORDER, MUTED, PRIMARY, PRIMARY_DARK, SELECTED, TEXT};

/// The one main action of a form, e.g. 登录.
pub fn primary(_theme: &Theme, status: Status) -> Style {
    let background = match status {
        Status::Active => PRIMARY,
        Status::Hovered | Status::Pressed => PRIMARY_DARK,
        Status::Disabled => Color::from_rgb8(0x8f, 0xae, 0xd6),
    };
    Style {
        background: Some(Background::Color(background)),
        text_color: Color::WHITE,
        border: Border {
            radius: 4.0.into(),
            ..Border::default()
        },
        ..Style::default()
    }
}

/// A quiet button on the blue header bar, e.g. 退出登录.
pub fn on_header(_theme: &Theme, status: Status) -> Style {
    let (background, text_color) = match status {
        Status::Active => (Color::TRANSPARENT, Color::WHITE),
        Status::Hovered | Status::Pressed => (Color::from_rgba(1.0, 1.0, 1.0, 0.15), Color::WHITE),
        Status::Disabled => (Color::TRANSPARENT, Color::from_rgba(1.0, 1.0, 1.0, 0.6)),
    };
    Style {
        background: Some(Background::Color(background)),
        text_color,
        border: Border {
            color: Color::from_rgba(1.0, 1.0, 1.0, 0.6),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// One choice of the language switch on the header bar; the current language
/// is filled white so it reads as selected.
pub fn language(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |_theme, status| {
        let (background, text_color) = if selected {
            (Color::WHITE, PRIMARY_DARK)
        } else {
            match status {
                Status::Hovered | Status::Pressed => {
                    (Color::from_rgba(1.0, 1.0, 1.0, 0.15), Color::WHITE)
                }
                Status::Active | Status::Disabled => (Color::TRANSPARENT, Color::WHITE),
            }
        };
        Style {
            background: Some(Background::Color(background)),
            text_color,
            border: Border {
                color: Color::WHITE,
                width: 1.0,
                radius: 4.0.into(),
            },
            ..Style::default()
        }
    }
}

/// An entry of the left navigation; the open area is tinted blue.
pub fn navigation(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |_theme, status| {
        let (background, text_color) = match (selected, status) {
            (true, _) => (SELECTED, PRIMARY_DARK),
            (false, Status::Hovered | Status::Pressed) => {
                (Color::from_rgb8(0xf2, 0xf5, 0xf9), TEXT)
            }
            (false, Status::Active) => (Color::TRANSPARENT, TEXT),
            (false, Status::Disabled) => (Color::TRANSPARENT, MUTED),
        };
        Style {
            background: Some(Background::Color(background)),
            text_color,
            border: Border {
                color: if selected { PRIMARY } else { BORDER },
                width: 0.0,
                radius: 4.0.into(),
            },
            ..Style::default()
        }
    }
}
