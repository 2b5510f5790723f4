//! Text styles.

use iced::Theme;
use iced::widget::text::Style;

use super::{ERROR, MUTED};

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
