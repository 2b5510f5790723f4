//! A small flow layout over printpdf: rows of explicitly positioned text
//! cells, rules and frames, measured in millimetres from the top-left corner
//! of the content, flowing onto new pages (or, on roll paper, growing one
//! page). The PDF is only built at the end, once the page count (for "page i
//! of n") and the roll's length are known.

use printpdf::{
    Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle,
    PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
    TextRenderingMode,
};

use super::{PrintError, font::SharedFont};

const PT_PER_MM: f32 = 72.0 / 25.4;
/// Row height as a multiple of the font size: room for ascenders and
/// descenders of CJK text with a little air between rows.
const LINE_FACTOR: f32 = 1.45;
/// Baseline below the top of a row, as a multiple of the font size.
const BASELINE_FACTOR: f32 = 1.08;
/// How far a cell may shrink its font to stay on one line before it is
/// allowed to overflow (or, for paragraphs, to wrap).
const MIN_SHRINK: f32 = 0.72;
/// Acrobat's and the PDF spec's practical page-size limit: 200 inches.
pub(crate) const MAX_PAGE_MM: f32 = 5080.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
    Center,
}

/// One text run in a row. `x` is the left edge, right edge or centre
/// according to `align`, relative to the content's left margin.
#[derive(Debug, Clone)]
pub(crate) struct Cell<'a> {
    x: f32,
    align: Align,
    text: &'a str,
    max_width: Option<f32>,
    bold: bool,
    boxed: bool,
    red: bool,
    size_factor: f32,
}

impl<'a> Cell<'a> {
    pub(crate) fn left(x: f32, text: &'a str) -> Self {
        Self::new(x, Align::Left, text)
    }

    pub(crate) fn right(x: f32, text: &'a str) -> Self {
        Self::new(x, Align::Right, text)
    }

    pub(crate) fn center(x: f32, text: &'a str) -> Self {
        Self::new(x, Align::Center, text)
    }

    fn new(x: f32, align: Align, text: &'a str) -> Self {
        Self {
            x,
            align,
            text,
            max_width: None,
            bold: false,
            boxed: false,
            red: false,
            size_factor: 1.0,
        }
    }

    /// Set in red, as red-letter invoices (红字发票) mark what they are.
    pub(crate) fn red(mut self) -> Self {
        self.red = true;
        self
    }

    /// The room this cell has; longer text is set smaller to fit.
    pub(crate) fn width(mut self, max_width: f32) -> Self {
        self.max_width = Some(max_width);
        self
    }

    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    /// A frame around the text, for marks that must stand out (重打).
    pub(crate) fn boxed(mut self) -> Self {
        self.boxed = true;
        self
    }

    /// This cell at a fraction of the row's font size.
    pub(crate) fn scaled(mut self, factor: f32) -> Self {
        self.size_factor = factor;
        self
    }
}

#[derive(Debug, Clone)]
enum Item {
    Text {
        /// Left edge and baseline, in mm from the page's top-left corner.
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        red: bool,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width_pt: f32,
        dashed: bool,
    },
    Frame {
        x: f32,
        top: f32,
        width: f32,
        height: f32,
    },
}

pub(crate) struct Flow {
    font: &'static SharedFont,
    page_width: f32,
    /// None on roll paper: one page as long as the content.
    page_height: Option<f32>,
    left: f32,
    content_width: f32,
    top: f32,
    bottom: f32,
    pages: Vec<Vec<Item>>,
    /// Top of the next row on the current page.
    y: f32,
}

impl Flow {
    /// Fixed-size pages; the content flows onto new ones.
    pub(crate) fn paged(
        font: &'static SharedFont,
        (page_width, page_height): (f32, f32),
        margin_x: f32,
        (top, bottom): (f32, f32),
    ) -> Self {
        Self::new(font, page_width, Some(page_height), margin_x, top, bottom)
    }

    /// One page of the given width, as long as its content.
    pub(crate) fn roll(
        font: &'static SharedFont,
        page_width: f32,
        margin_x: f32,
        (top, bottom): (f32, f32),
    ) -> Self {
        Self::new(font, page_width, None, margin_x, top, bottom)
    }

    fn new(
        font: &'static SharedFont,
        page_width: f32,
        page_height: Option<f32>,
        margin_x: f32,
        top: f32,
        bottom: f32,
    ) -> Self {
        Self {
            font,
            page_width,
            page_height,
            left: margin_x,
            content_width: page_width - 2.0 * margin_x,
            top,
            bottom,
            pages: vec![Vec::new()],
            y: top,
        }
    }

    pub(crate) fn content_width(&self) -> f32 {
        self.content_width
    }

    pub(crate) fn row_height(size: f32) -> f32 {
        size * LINE_FACTOR / PT_PER_MM
    }

    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Starts a new page unless `height` mm still fit on this one. True when
    /// a page was started, so that the caller can repeat a table header.
    pub(crate) fn ensure(&mut self, height: f32) -> bool {
        let Some(page_height) = self.page_height else {
            return false;
        };
        let fits = self.y + height <= page_height - self.bottom;
        // A block taller than a whole page goes where it is rather than
        // leaving an empty page behind.
        if fits || self.y <= self.top {
            return false;
        }
        self.pages.push(Vec::new());
        self.y = self.top;
        true
    }

    pub(crate) fn gap(&mut self, height: f32) {
        self.y += height;
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    /// A horizontal line across the content.
    pub(crate) fn rule(&mut self, dashed: bool) {
        self.ensure(2.0);
        self.push(Item::Rule {
            x1: self.left,
            x2: self.left + self.content_width,
            y: self.y + 1.0,
            width_pt: if dashed { 0.5 } else { 0.7 },
            dashed,
        });
        self.y += 2.0;
    }

    /// A short line across part of the content, at the top of the next row
    /// (e.g. under a table's header).
    pub(crate) fn partial_rule(&mut self, from: f32, to: f32) {
        self.push(Item::Rule {
            x1: self.left + from,
            x2: self.left + to,
            y: self.y + 0.3,
            width_pt: 0.4,
            dashed: false,
        });
        self.y += 0.6;
    }

    /// One row of cells set at `size` pt. Returns true when it started a
    /// new page.
    pub(crate) fn row(&mut self, size: f32, cells: &[Cell<'_>]) -> bool {
        let height = Self::row_height(size);
        let new_page = self.ensure(height);
        let baseline = self.y + size * BASELINE_FACTOR / PT_PER_MM;
        for cell in cells {
            self.place(cell, size, baseline);
        }
        self.y += height;
        new_page
    }

    fn place(&mut self, cell: &Cell<'_>, row_size: f32, baseline: f32) {
        if cell.text.is_empty() {
            return;
        }
        let wanted = row_size * cell.size_factor;
        let natural = self.font.width_mm(cell.text, wanted);
        let room = cell.max_width.unwrap_or(match cell.align {
            Align::Left => self.content_width - cell.x,
            Align::Right => cell.x,
            Align::Center => self.content_width,
        });
        let size = if natural > room && natural > 0.0 {
            (wanted * room / natural).max(wanted * MIN_SHRINK)
        } else {
            wanted
        };
        let width = natural * size / wanted;
        let left = self.left
            + match cell.align {
                Align::Left => cell.x,
                Align::Right => cell.x - width,
                Align::Center => cell.x - width / 2.0,
            };
        if cell.boxed {
            let pad = 0.8;
            let top = baseline - size * 0.95 / PT_PER_MM - pad / 2.0;
            self.push(Item::Frame {
                x: left - pad,
                top,
                width: width + 2.0 * pad,
                height: size * 1.2 / PT_PER_MM + pad,
            });
        }
        self.push(Item::Text {
            x: left,
            baseline,
            size,
            bold: cell.bold,
            red: cell.red,
            text: cell.text.to_owned(),
        });
    }

    /// `label` at `label_x` and `value` from `value_x` to the right margin,
    /// on one row if it fits (set a little smaller if need be), wrapped onto
    /// more rows otherwise.
    pub(crate) fn paragraph(
        &mut self,
        size: f32,
        label_x: f32,
        label: &str,
        value_x: f32,
        value: &str,
    ) {
        let room = self.content_width - value_x;
        let natural = self.font.width_mm(value, size);
        if natural * MIN_SHRINK <= room || value.chars().count() < 2 {
            self.row(
                size,
                &[Cell::left(label_x, label), Cell::left(value_x, value)],
            );
            return;
        }
        let lines = self.wrap(value, size, room);
        for (index, line) in lines.iter().enumerate() {
            let label = if index == 0 { label } else { "" };
            self.row(
                size,
                &[Cell::left(label_x, label), Cell::left(value_x, line)],
            );
        }
    }

    /// Breaks `text` into lines no wider than `room` mm, between any two
    /// characters (CJK text has no spaces to break at).
    fn wrap(&self, text: &str, size: f32, room: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut width = 0.0;
        for c in text.chars() {
            let mut buffer = [0u8; 4];
            let advance = self.font.width_mm(c.encode_utf8(&mut buffer), size);
            if width + advance > room && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            line.push(c);
            width += advance;
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Writes `text` at the foot of every page, at the given alignment and
    /// size; `{page}` and `{pages}` in it become the page numbers.
    pub(crate) fn footer(&mut self, size: f32, align: Align, text: &str) {
        let Some(page_height) = self.page_height else {
            return;
        };
        let pages = self.pages.len();
        let baseline = page_height - self.bottom / 2.0;
        for index in 0..pages {
            let shown = text
                .replace("{page}", &(index + 1).to_string())
                .replace("{pages}", &pages.to_string());
            let width = self.font.width_mm(&shown, size);
            let x = self.left
                + match align {
                    Align::Left => 0.0,
                    Align::Right => self.content_width - width,
                    Align::Center => (self.content_width - width) / 2.0,
                };
            if let Some(page) = self.pages.get_mut(index) {
                page.push(Item::Text {
                    x,
                    baseline,
                    size,
                    bold: false,
                    red: false,
                    text: shown,
                });
            }
        }
    }

    /// Page sizes in mm and all text runs, in order (for tests and the
    /// benchmark's like-for-like baseline).
    pub(crate) fn summary(&self) -> (Vec<(f32, f32)>, Vec<String>) {
        let height = self.final_height();
        let sizes = vec![(self.page_width, height); self.pages.len()];
        let texts = self
            .pages
            .iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        (sizes, texts)
    }

    fn final_height(&self) -> f32 {
        self.page_height.unwrap_or(self.y + self.bottom)
    }

    /// The finished document's length on roll paper, in mm.
    pub(crate) fn length(&self) -> f32 {
        self.final_height()
    }

    /// Builds and serializes the PDF, embedding the font once, subsetted.
    pub(crate) fn finish(self, title: &str) -> Result<Vec<u8>, PrintError> {
        let height = self.final_height();
        let mut document = PdfDocument::new(title);
        let font_id = document.add_font(self.font.parsed());
        let font = PdfFontHandle::External(font_id);
        let pages = self
            .pages
            .iter()
            .map(|items| {
                printpdf::PdfPage::new(
                    Mm(self.page_width),
                    Mm(height),
                    page_ops(items, &font, height),
                )
            })
            .collect();
        document.with_pages(pages);
        let options = PdfSaveOptions {
            optimize: true,
            subset_fonts: true,
            secure: true,
            image_optimization: None,
        };
        let mut warnings = Vec::new();
        let bytes = document.save(&options, &mut warnings);
        if let Some(error) = warnings
            .iter()
            .find(|warning| warning.severity == PdfParseErrorSeverity::Error)
        {
            return Err(PrintError::Pdf(error.msg.clone()));
        }
        Ok(bytes)
    }
}

fn pt(mm: f32) -> Pt {
    Pt(mm * PT_PER_MM)
}

fn black() -> Color {
    Color::Greyscale(Greyscale {
        percent: 0.0,
        icc_profile: None,
    })
}

fn red() -> Color {
    Color::Rgb(printpdf::Rgb {
        r: 0.8,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    })
}

fn point(x: f32, y_from_top: f32, page_height: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: pt(x),
            y: pt(page_height - y_from_top),
        },
        bezier: false,
    }
}

fn page_ops(items: &[Item], font: &PdfFontHandle, page_height: f32) -> Vec<Op> {
    let mut ops = vec![
        Op::SetOutlineColor { col: black() },
        Op::SetFillColor { col: black() },
    ];
    for item in items {
        match item {
            Item::Rule {
                x1,
                x2,
                y,
                width_pt,
                dashed,
            } => {
                ops.push(Op::SetOutlineThickness { pt: Pt(*width_pt) });
                if *dashed {
                    ops.push(Op::SetLineDashPattern {
                        dash: printpdf::LineDashPattern::new(0.0, &[2.0, 1.5]),
                    });
                }
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![point(*x1, *y, page_height), point(*x2, *y, page_height)],
                        is_closed: false,
                    },
                });
                if *dashed {
                    ops.push(Op::SetLineDashPattern {
                        dash: printpdf::LineDashPattern::solid(),
                    });
                }
            }
            Item::Frame {
                x,
                top,
                width,
                height,
            } => {
                ops.push(Op::SetOutlineThickness { pt: Pt(0.8) });
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: pt(*x),
                        y: pt(page_height - top - height),
                        width: pt(*width),
                        height: pt(*height),
                        mode: Some(PaintMode::Stroke),
                        winding_order: None,
                    },
                });
            }
            Item::Text { .. } => {}
        }
    }

    ops.push(Op::StartTextSection);
    let mut current_size = f32::NAN;
    let mut current_bold = false;
    let mut current_red = false;
    for item in items {
        let Item::Text {
            x,
            baseline,
            size,
            bold,
            red: is_red,
            text,
        } = item
        else {
            continue;
        };
        if *is_red != current_red {
            ops.push(Op::SetFillColor {
                col: if *is_red { red() } else { black() },
            });
            current_red = *is_red;
        }
        if *size != current_size {
            ops.push(Op::SetFont {
                font: font.clone(),
                size: Pt(*size),
            });
            current_size = *size;
        }
        if *bold != current_bold {
            // The font has no bold face: stroking the outlines as well as
            // filling them thickens the strokes the way printers' fake bold
            // does.
            if *bold {
                ops.push(Op::SetOutlineThickness {
                    pt: Pt(size * 0.035),
                });
            }
            ops.push(Op::SetTextRenderingMode {
                mode: if *bold {
                    TextRenderingMode::FillStroke
                } else {
                    TextRenderingMode::Fill
                },
            });
            current_bold = *bold;
        }
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(pt(*x), pt(page_height - baseline)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.clone())],
        });
    }
    ops.push(Op::EndTextSection);
    ops
}
