//! gascis desktop client: the counter hall and back-office application of the
//! gas customer information system.
//!
//! Map of the crate:
//! - [`app`]: top-level state (which screen, language, settings, keyring) and
//!   message routing.
//! - [`screen`]: one module per screen (`login`, `home`, and the areas
//!   inside home: `counter`, 收费台, `customers`, 客户档案, `import`,
//!   数据导入, `billing`, 抄表计费, `tariffs`, 气价方案, and `invoices`, 发票,
//!   whose `issue` form the counter opens), each with its
//!   state, `Message`, `Action`, `new`, `update` and `view`.
//! - [`api`]: every network call (gRPC over TLS), the files of an import and
//!   the native file dialogs, the card reader, and the classification of
//!   failures into [`api::ApiError`]; [`print`]: PDFs to the OS printer.
//! - [`credentials`]: saved passwords in the OS keyring; [`settings`]: the
//!   non-secret settings file.
//! - [`i18n`]: every visible text, zh-CN and English; [`theme`]: colours,
//!   fonts and named style functions.

pub mod api;
pub mod app;
pub mod credentials;
pub mod i18n;
pub mod print;
pub mod screen;
pub mod secret;
pub mod settings;
pub mod theme;
pub mod widget;

pub use app::App;

/// Opens the main window and runs until it is closed.
pub fn run() -> iced::Result {
    iced::application(App::boot, App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(App::theme)
        .settings(theme::settings())
        .window_size((1200.0, 780.0))
        .centered()
        .run()
}
