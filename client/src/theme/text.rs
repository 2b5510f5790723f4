//! Text styles.

use iced::Theme;
use iced::widget::text::Style;

use super::{ERROR, MUTED, PRIMARY_DARK, SUCCESS, WARNING};

/// An error message.
pub fn error(_theme: &Theme) -> Style {
    Style { color: Some(ERROR) }
}

/// Hints, notes and secondary facts.
pub fn muted(_theme: &Theme) -> Style {
    Style { color: Some(MUTED) }
}

/// Secondary text on the blue header bar.
pub fn on_header_muted(_theme: &Theme) -> Style {
    Style {
        color: Some(iced::Color::from_rgba(1.0, 1.0, 1.0, 0.8)),
    }
}

/// The label above a form field or before a fact.
pub fn label(_theme: &Theme) -> Style {
    Style {
        color: Some(iced::Color::from_rgb8(0x4a, 0x55, 0x63)),
    }
}

/// The title of a group of fields.
pub fn section(_theme: &Theme) -> Style {
    Style {
        color: Some(PRIMARY_DARK),
    }
}

/// Something done, e.g. 开户成功.
pub fn success(_theme: &Theme) -> Style {
    Style {
        color: Some(SUCCESS),
    }
}

/// Something to watch, e.g. arrears.
pub fn warning(_theme: &Theme) -> Style {
    Style {
        color: Some(WARNING),
    }
}

/// Ordinary text, where a style function is needed to choose between styles.
pub fn plain(_theme: &Theme) -> Style {
    Style { color: None }
}
