//! The login screen against a real gascis server (in-process, TLS, its own
//! throw-away PostgreSQL): the simulator drives the widgets, and the result
//! of the real `api::sign_in` call with what was typed is fed back to
//! `update`, as iced's runtime would do with the screen's task.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gascis::api;
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::login;
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_testkit::TestServer;
use iced_test::{Simulator, selector};

fn simulate(app: &App) -> Simulator<'_, Message> {
    Simulator::with_settings(gascis::theme::settings(), app.view())
}

fn type_into(app: &mut App, id: &'static str, text: &str) {
    for character in text.chars() {
        let messages: Vec<Message> = {
            let mut ui = simulate(app);
            let _ = ui.click(selector::id(id)).expect("the input is on screen");
            let _ = ui.typewrite(&character.to_string());
            ui.into_messages().collect()
        };
        for message in messages {
            let _ = app.update(message);
        }
    }
}

/// Types the credentials, clicks 登录, checks the intent, performs the real
/// call and feeds its outcome.
async fn attempt(server: &TestServer, username: &str, password: &str) -> App {
    let mut app = App::new(
        Settings {
            server_address: server.endpoint(),
            ca_file: server.ca_path.display().to_string(),
            ..Settings::default()
        },
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    type_into(&mut app, login::USERNAME_INPUT, username);
    type_into(&mut app, login::PASSWORD_INPUT, password);
    let clicked: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("登录").expect("the login button");
        ui.into_messages().collect()
    };
    assert!(
        clicked
            .iter()
            .any(|m| matches!(m, Message::Login(login::Message::Submit))),
        "clicking 登录 submits"
    );
    for message in clicked {
        let _ = app.update(message);
    }
    let outcome = api::sign_in(
        server.endpoint(),
        PathBuf::from(&server.ca_path),
        username.to_owned(),
        Secret::from(password),
    )
    .await;
    let _ = app.update(Message::Login(login::Message::LoggedIn(outcome)));
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_password_shows_the_error_and_a_good_one_opens_the_home_shell() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;

    let refused = attempt(&server, "wangfang", "wrong-password").await;
    assert!(matches!(refused.screen(), Screen::Login(_)));
    assert!(simulate(&refused).find("用户名或密码错误").is_ok());

    let admitted = attempt(&server, "wangfang", "cashier-pass-1").await;
    assert!(
        matches!(admitted.screen(), Screen::Home(_)),
        "home shell after login"
    );
    let mut ui = simulate(&admitted);
    assert!(ui.find("王芳").is_ok(), "the user's name in the header");
    assert!(ui.find("收费").is_ok(), "a cashier sees the counter");
    assert!(ui.find("系统管理").is_err(), "but not administration");
    drop(ui);
    server.shutdown().await
}
