//! The one font every printed document uses, parsed once per process.
//!
//! Parsing the 5 MB collection takes far longer than laying out a receipt,
//! so it happens on first use and is shared by all threads afterwards; each
//! PDF then embeds only the glyphs it uses (printpdf subsets at save time).

use std::sync::LazyLock;

use printpdf::ParsedFont;

use super::PrintError;

/// WenQuanYi Micro Hei (Apache-2.0 / GPL-3+ with font exception), bundled
/// with its licence in assets/fonts/.
static FONT_FILE: &[u8] = include_bytes!("../../../assets/fonts/wqy-microhei.ttc");

/// Face 0 of the collection is the proportional Micro Hei; face 1 is the
/// monospaced one, which sets CJK text too loosely for 72 mm of paper.
const FACE_INDEX: usize = 0;

const MM_PER_PT: f32 = 25.4 / 72.0;

/// The parsed face plus what layout needs to measure text with it.
pub struct SharedFont {
    parsed: ParsedFont,
    units_per_em: f32,
    /// Advance of a glyph the font lacks, so that measuring never fails.
    fallback_advance: u16,
}

static FONT: LazyLock<Option<SharedFont>> = LazyLock::new(|| {
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(FONT_FILE, FACE_INDEX, &mut warnings)?;
    let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
    let fallback_advance = parsed.get_horizontal_advance(0);
    Some(SharedFont {
        parsed,
        units_per_em,
        fallback_advance,
    })
});

/// The shared font; parsed on the first call.
pub fn shared_font() -> Result<&'static SharedFont, PrintError> {
    FONT.as_ref().ok_or(PrintError::FontUnavailable)
}

impl SharedFont {
    /// The parsed face, to register with a `printpdf::PdfDocument`.
    pub fn parsed(&self) -> &ParsedFont {
        &self.parsed
    }

    /// Width of `text` set at `size_pt`, in millimetres.
    pub fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                self.parsed
                    .lookup_glyph_index(u32::from(c))
                    .map_or(self.fallback_advance, |glyph| {
                        self.parsed.get_horizontal_advance(glyph)
                    })
            })
            .map(u32::from)
            .sum();
        // Widths stay far below f32's exact-integer range for any line of text.
        units as f32 / self.units_per_em * size_pt * MM_PER_PT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_measures() -> Result<(), PrintError> {
        let font = shared_font()?;
        assert!(std::ptr::eq(font, shared_font()?));
        // A CJK ideograph is one em wide: 10 pt = 3.53 mm.
        let han = font.width_mm("燃", 10.0);
        assert!((han - 10.0 * MM_PER_PT).abs() < 0.2, "{han}");
        let digits = font.width_mm("1234", 10.0);
        assert!(digits > 0.0 && digits < 4.0 * han, "{digits}");
        assert_eq!(font.width_mm("", 10.0), 0.0);
        Ok(())
    }
}
