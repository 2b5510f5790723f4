//! Container styles.

use iced::widget::container::Style;
use iced::{Background, Border, Theme};

use iced::Color;

use super::{
    BACKGROUND, BORDER, DISABLED_FIELD, ERROR, HEADER_BLUE, MUTED, PRIMARY, SELECTED, SUCCESS,
    SURFACE, TEXT, WARNING,
};

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

/// The header row of a table.
pub fn table_header(_theme: &Theme) -> Style {
    Style {
        text_color: Some(MUTED),
        background: Some(Background::Color(Color::from_rgb8(0xf3, 0xf5, 0xf8))),
        border: Border {
            color: BORDER,
            width: 1.0,
            radius: 0.0.into(),
        },
        ..Style::default()
    }
}

/// A row of a table: zebra stripes for the eye to follow, blue when selected.
pub fn table_row(index: usize, selected: bool) -> impl Fn(&Theme) -> Style {
    move |_theme| {
        let background = if selected {
            SELECTED
        } else if index % 2 == 1 {
            Color::from_rgb8(0xfa, 0xfb, 0xfc)
        } else {
            SURFACE
        };
        Style {
            text_color: Some(TEXT),
            background: Some(Background::Color(background)),
            border: Border {
                color: if selected {
                    PRIMARY
                } else {
                    Color::from_rgb8(0xe6, 0xea, 0xef)
                },
                width: if selected { 1.0 } else { 0.0 },
                radius: 0.0.into(),
            },
            ..Style::default()
        }
    }
}

/// The table body: a hairline frame around the rows.
pub fn table_frame(_theme: &Theme) -> Style {
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

/// The grey veil behind a dialog.
pub fn backdrop(_theme: &Theme) -> Style {
    Style {
        background: Some(Background::Color(Color::from_rgba(0.08, 0.12, 0.18, 0.45))),
        ..Style::default()
    }
}

/// A dialog: a white card with a firmer border.
pub fn dialog(_theme: &Theme) -> Style {
    Style {
        text_color: Some(TEXT),
        background: Some(Background::Color(SURFACE)),
        border: Border {
            color: Color::from_rgb8(0xa9, 0xb4, 0xc2),
            width: 1.0,
            radius: 8.0.into(),
        },
        ..Style::default()
    }
}

/// A pale blue strip of key facts, e.g. the account above a dialog.
pub fn summary(_theme: &Theme) -> Style {
    Style {
        text_color: Some(TEXT),
        background: Some(Background::Color(Color::from_rgb8(0xf4, 0xf7, 0xfc))),
        border: Border {
            color: Color::from_rgb8(0xd3, 0xde, 0xf0),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// A pale green note that something was done.
pub fn success_box(_theme: &Theme) -> Style {
    Style {
        text_color: Some(SUCCESS),
        background: Some(Background::Color(Color::from_rgb8(0xea, 0xf5, 0xea))),
        border: Border {
            color: Color::from_rgb8(0xb5, 0xd8, 0xb7),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// A pale amber note that needs attention but is not an error.
pub fn warning_box(_theme: &Theme) -> Style {
    Style {
        text_color: Some(WARNING),
        background: Some(Background::Color(Color::from_rgb8(0xfd, 0xf4, 0xe3))),
        border: Border {
            color: Color::from_rgb8(0xf0, 0xd2, 0x9c),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// A field that cannot be edited right now.
pub fn disabled_field(_theme: &Theme) -> Style {
    Style {
        text_color: Some(MUTED),
        background: Some(Background::Color(DISABLED_FIELD)),
        border: Border {
            color: BORDER,
            width: 1.0,
            radius: 4.0.into(),
        },
        ..Style::default()
    }
}

/// The colour of a status badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Caution,
    Neutral,
    Bad,
}

/// A small rounded label, e.g. 正常 / 报停 / 销户.
pub fn badge(tone: Tone) -> impl Fn(&Theme) -> Style {
    move |_theme| {
        let (text_color, background) = match tone {
            Tone::Good => (SUCCESS, Color::from_rgb8(0xe3, 0xf2, 0xe4)),
            Tone::Caution => (WARNING, Color::from_rgb8(0xfd, 0xef, 0xd6)),
            Tone::Neutral => (MUTED, Color::from_rgb8(0xec, 0xee, 0xf1)),
            Tone::Bad => (ERROR, Color::from_rgb8(0xfd, 0xe4, 0xe4)),
        };
        Style {
            text_color: Some(text_color),
            background: Some(Background::Color(background)),
            border: Border {
                color: Color::TRANSPARENT,
                width: 0.0,
                radius: 10.0.into(),
            },
            ..Style::default()
        }
    }
}

/// The line under a tab bar that the open tab sits on.
pub fn tab_line(_theme: &Theme) -> Style {
    Style {
        background: Some(Background::Color(BORDER)),
        ..Style::default()
    }
}
