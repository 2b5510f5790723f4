//! Container styles.

use iced::widget::container::Style;
use iced::{Background, Border, Theme};

use super::{BACKGROUND, BORDER, ERROR, HEADER_BLUE, SURFACE, TEXT};

/// The deep blue bar across the top of every screen.
pub fn header_bar(_theme: &Theme) -> Style {
    Style {
        text_color: Some(iced::Color::WHITE),
        background: Some(Background::Color(HEADER_BLUE)),
        ..Style::default()
    }
}

/// The light grey page behind the cards.
pub fn page(_theme: &Theme) -> Style {
    Style {
        text_color: Some(TEXT),
        background: Some(Background::Color(BACKGROUND)),
        ..Style::default()
    }
}

/// A white card with a hairline border. No shadow: the software renderer
/// paints shadows over the card's content, greying the white.
pub fn card(_theme: &Theme) -> Style {
    Style {
        text_color: Some(TEXT),
        background: Some(Background::Color(SURFACE)),
        border: Border {
            color: BORDER,
            width: 1.0,
            radius: 8.0.into(),
        },
        ..Style::default()
    }
}

/// The navigation column on the left of the home screen.
pub fn navigation(_theme: &Theme) -> Style {
    Style {
        text_color: Some(TEXT),
        background: Some(Background::Color(SURFACE)),
        border: Border {
            color: BORDER,
            width: 1.0,
            radius: 0.0.into(),
        },
        ..Style::default()
    }
}

/// A pale red box around an error message.
pub fn error_box(_theme: &Theme) -> Style {
    Style {
        text_color: Some(ERROR),
        background: Some(Background::Color(iced::Color::from_rgb8(0xfd, 0xec, 0xec))),
        border: Border {
            color: iced::Color::from_rgb8(0xf3, 0xb8, 0xb8),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}
