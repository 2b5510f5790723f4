//! Rule styles.

use iced::Theme;
use iced::widget::rule::{FillMode, Style};

use super::BORDER;

/// A thin grey line under a section title.
pub fn hairline(_theme: &Theme) -> Style {
    Style {
        color: BORDER,
        radius: 0.0.into(),
        fill_mode: FillMode::Full,
        snap: true,
    }
}
