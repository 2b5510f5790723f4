//! Button styles.

use iced::widget::button::{Status, Style};
use iced::{Background, Border, Color, Theme};

use super::{BORDER, ERROR, MUTED, PRIMARY, PRIMARY_DARK, SELECTED, TEXT};

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

/// A second action beside the primary one, e.g. 取消, 上一页.
pub fn secondary(_theme: &Theme, status: Status) -> Style {
    let (background, border_color, text_color) = match status {
        Status::Active => (Color::WHITE, BORDER, TEXT),
        Status::Hovered | Status::Pressed => {
            (Color::from_rgb8(0xf2, 0xf5, 0xf9), PRIMARY, PRIMARY_DARK)
        }
        Status::Disabled => (
            Color::from_rgb8(0xf5, 0xf6, 0xf8),
            BORDER,
            Color::from_rgb8(0xa9, 0xb4, 0xc2),
        ),
    };
    Style {
        background: Some(Background::Color(background)),
        text_color,
        border: Border {
            color: border_color,
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// An action that cannot be undone easily, e.g. 销户.
pub fn danger(_theme: &Theme, status: Status) -> Style {
    let background = match status {
        Status::Active => ERROR,
        Status::Hovered | Status::Pressed => Color::from_rgb8(0xa3, 0x1f, 0x1f),
        Status::Disabled => Color::from_rgb8(0xe3, 0xa0, 0xa0),
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

/// A tab of a tab bar; the open tab reads blue on white.
pub fn tab(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |_theme, status| {
        let (background, text_color) = match (selected, status) {
            (true, _) => (Color::WHITE, PRIMARY_DARK),
            (false, Status::Hovered | Status::Pressed) => {
                (Color::from_rgb8(0xe9, 0xee, 0xf5), TEXT)
            }
            (false, Status::Active) => (Color::TRANSPARENT, MUTED),
            (false, Status::Disabled) => (Color::TRANSPARENT, Color::from_rgb8(0xa9, 0xb4, 0xc2)),
        };
        Style {
            background: Some(Background::Color(background)),
            text_color,
            border: Border {
                color: if selected { BORDER } else { Color::TRANSPARENT },
                width: if selected { 1.0 } else { 0.0 },
                radius: iced::border::Radius::default().top(4.0),
            },
            ..Style::default()
        }
    }
}

/// One choice of a segmented control (e.g. the search kind); the chosen
/// one is filled blue.
pub fn segment(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |_theme, status| {
        let (background, text_color, border_color) = match (selected, status) {
            (true, _) => (PRIMARY, Color::WHITE, PRIMARY),
            (false, Status::Hovered | Status::Pressed) => (SELECTED, PRIMARY_DARK, PRIMARY),
            (false, Status::Active) => (Color::WHITE, TEXT, BORDER),
            (false, Status::Disabled) => (Color::WHITE, MUTED, BORDER),
        };
        Style {
            background: Some(Background::Color(background)),
            text_color,
            border: Border {
                color: border_color,
                width: 1.0,
                radius: 3.0.into(),
            },
            ..Style::default()
        }
    }
}

/// A small text-like action inside content, e.g. 显示完整.
pub fn link(_theme: &Theme, status: Status) -> Style {
    let text_color = match status {
        Status::Active => PRIMARY,
        Status::Hovered | Status::Pressed => PRIMARY_DARK,
        Status::Disabled => MUTED,
    };
    Style {
        background: None,
        text_color,
        ..Style::default()
    }
}

/// A step of a step-by-step page: the open step filled blue, steps that
/// can be gone back or forward to in pale blue, the others grey.
pub fn step(current: bool, reachable: bool) -> impl Fn(&Theme, Status) -> Style {
    move |_theme, status| {
        let (background, text_color, border_color) = match (current, reachable, status) {
            (true, _, _) => (PRIMARY, Color::WHITE, PRIMARY),
            (false, true, Status::Hovered | Status::Pressed) => (SELECTED, PRIMARY_DARK, PRIMARY),
            (false, true, _) => (Color::WHITE, PRIMARY_DARK, BORDER),
            (false, false, _) => (
                Color::from_rgb8(0xf5, 0xf6, 0xf8),
                Color::from_rgb8(0xa9, 0xb4, 0xc2),
                BORDER,
            ),
        };
        Style {
            background: Some(Background::Color(background)),
            text_color,
            border: Border {
                color: border_color,
                width: 1.0,
                radius: 16.0.into(),
            },
            ..Style::default()
        }
    }
}
