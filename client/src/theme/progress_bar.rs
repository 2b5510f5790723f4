//! Progress bar styles.

use iced::widget::progress_bar::Style;
use iced::{Background, Border, Color, Theme};

use super::PRIMARY;

/// The bar of a running job: blue on pale grey, rounded.
pub fn job(_theme: &Theme) -> Style {
    Style {
        background: Background::Color(Color::from_rgb8(0xe3, 0xe8, 0xef)),
        bar: Background::Color(PRIMARY),
        border: Border {
            color: Color::TRANSPARENT,
            width: 0.0,
            radius: 4.0.into(),
        },
    }
}
