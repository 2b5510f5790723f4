//! The look of gascis: a calm, professional utility app. A deep blue header
//! bar, white cards on light grey, one clear red for errors.
//!
//! Widgets take their styles from the named functions in the submodules, so a
//! colour is decided here once and nowhere else.

pub mod button;
pub mod container;
pub mod pick_list;
pub mod progress_bar;
pub mod rule;
pub mod text;
pub mod text_input;

use iced::theme::Palette;
use iced::{Color, Font, Theme, color};

/// WenQuanYi Micro Hei (Apache-2.0 or GPL-3+ with the font exception, see
/// assets/fonts/): bundled so Chinese renders the same on every counter PC,
/// whatever fonts Windows or Linux happen to have.
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

/// The family name inside [`FONT_BYTES`].
pub const FONT_FAMILY: &str = "WenQuanYi Micro Hei";

pub const DEFAULT_FONT: Font = Font::with_name(FONT_FAMILY);

pub const HEADER_BLUE: Color = color!(0x0b3d91);
pub const PRIMARY: Color = color!(0x1a5fb4);
pub const PRIMARY_DARK: Color = color!(0x134a8e);
pub const BACKGROUND: Color = color!(0xf0f2f5);
pub const SURFACE: Color = Color::WHITE;
pub const BORDER: Color = color!(0xd5dbe3);
pub const TEXT: Color = color!(0x1f2933);
pub const MUTED: Color = color!(0x5f6b7a);
pub const ERROR: Color = color!(0xc62828);
pub const SUCCESS: Color = color!(0x2e7d32);
pub const WARNING: Color = color!(0xb26a00);
pub const SELECTED: Color = color!(0xe3ecfa);
pub const DISABLED_FIELD: Color = color!(0xf5f6f8);

/// Text sizes in logical pixels.
pub const TEXT_SMALL: f32 = 13.0;
pub const TEXT_BODY: f32 = 15.0;
pub const TEXT_TITLE: f32 = 22.0;

/// The application theme. Always light: a dark theme picked up from the
/// operating system would make the forms hard to read in a bright hall.
pub fn app_theme() -> Theme {
    Theme::custom(
        "gascis",
        Palette {
            background: BACKGROUND,
            text: TEXT,
            primary: PRIMARY,
            success: SUCCESS,
            warning: WARNING,
            danger: ERROR,
        },
    )
}

/// Font and text settings shared by the application and the UI tests.
pub fn settings() -> iced::Settings {
    iced::Settings {
        id: Some("gascis".to_owned()),
        fonts: vec![FONT_BYTES.into()],
        default_font: DEFAULT_FONT,
        default_text_size: iced::Pixels(TEXT_BODY),
        ..iced::Settings::default()
    }
}
