//! The `gascis` desktop client.

// No console window behind the app on the counter PCs; debug builds keep it
// for the log.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use tracing_subscriber::EnvFilter;

fn main() -> iced::Result {
    // Logs go to stderr; RUST_LOG=debug gives detail when IT investigates.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("warn,gascis=info")),
        )
        .init();

    gascis::run()
}
