//! Headless UI tests of the login screen and the home shell with iced_test's
//! simulator: real widgets, real layout with the bundled CJK font, messages
//! fed back into the real `update`.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia (the only one this
//! crate builds anyway).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gascis::api::{ApiError, Connection, ServerAddress, ServerInfo, Session, User};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::i18n::Language;
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use iced::keyboard::{self, key};
use iced_test::{Simulator, selector};

fn simulate(app: &App) -> Simulator<'_, Message> {
    Simulator::with_settings(gascis::theme::settings(), app.view())
}

/// Whether the current view shows exactly this text somewhere.
fn shows(app: &App, text: &str) -> bool {
    simulate(app).find(text).is_ok()
}

fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        // Tasks would do network or disk I/O; the tests drive the outcomes
        // by feeding result messages instead.
        let _task = app.update(message);
    }
}

/// Types `text` into the input with `id` the way a user does: each key
/// press goes through the widget, and its message through `update`, before
/// the next key sees the new value.
fn type_into(app: &mut App, id: &'static str, text: &str) {
    for character in text.chars() {
        let messages: Vec<Message> = {
            let mut ui = simulate(app);
            let _ = ui.click(selector::id(id)).expect("the input is on screen");
            let _ = ui.typewrite(&character.to_string());
            ui.into_messages().collect()
        };
        assert!(
            !messages.is_empty(),
            "typing {character:?} into {id} did nothing"
        );
        feed(app, messages);
    }
}

fn login_app() -> App {
    App::new(
        Settings {
            server_address: "localhost:50443".into(),
            ca_file: "/etc/gascis/ca.pem".into(),
            ..Settings::default()
        },
        None,
        KeyringStatus::Unavailable("no keyring in tests".into()),
    )
}

fn login_screen(app: &App) -> &login::Login {
    match app.screen() {
        Screen::Login(login) => login,
        Screen::Home(_) => panic!("expected the login screen"),
    }
}

fn home_screen(app: &App) -> &home::Home {
    match app.screen() {
        Screen::Home(home) => home,
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

fn is_submit(message: &Message) -> bool {
    matches!(message, Message::Login(login::Message::Submit))
}

/// A session on a channel that never connects: tonic spawns the channel's
/// worker on the runtime, which must outlive the session.
fn session(display_name: &str, roles: Vec<Role>) -> (tokio::runtime::Runtime, Session) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let connection = {
        let _guard = runtime.enter();
        let address = ServerAddress::parse("localhost:50443").unwrap();
        let channel = tonic::transport::Endpoint::from_shared(address.uri())
            .unwrap()
            .connect_lazy();
        Connection::from_channel(channel, address)
    };
    let session = Session {
        connection,
        token: Secret::from("0123abcd"),
        user: User {
            id: 7,
            username: "wangfang".into(),
            display_name: display_name.into(),
            roles,
        },
        idle_timeout: Duration::from_secs(1800),
        expires_at: chrono::DateTime::from_timestamp(1_800_000_000, 0),
    };
    (runtime, session)
}

#[test]
fn typing_credentials_and_pressing_the_button_submits() {
    let mut app = login_app();

    type_into(&mut app, login::USERNAME_INPUT, "wangfang");
    type_into(&mut app, login::PASSWORD_INPUT, "pw-123");
    assert_eq!(login_screen(&app).username(), "wangfang");

    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("登录").expect("the login button is on screen");
        ui.into_messages().collect()
    };
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(is_submit(&messages[0]), "{messages:?}");

    feed(&mut app, messages);
    assert!(login_screen(&app).is_submitting());
    assert_eq!(login_screen(&app).problem(), None);

    // While signing in the button says so and does nothing.
    let mut ui = simulate(&app);
    assert!(ui.find("登录").is_err());
    let _ = ui.click("正在登录…").expect("the busy button is on screen");
    assert_eq!(ui.into_messages().count(), 0);
}

#[test]
fn enter_in_the_password_field_submits() {
    let mut app = login_app();
    type_into(&mut app, login::USERNAME_INPUT, "wf");
    type_into(&mut app, login::PASSWORD_INPUT, "pw");

    let mut ui = simulate(&app);
    let _ = ui.click(selector::id(login::PASSWORD_INPUT)).unwrap();
    let _ = ui.tap_key(keyboard::Key::Named(key::Named::Enter));
    let messages: Vec<Message> = ui.into_messages().collect();

    assert!(messages.iter().any(is_submit), "{messages:?}");
}

#[test]
fn submitting_an_empty_form_asks_for_the_fields() {
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none".into()),
    );
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("登录").unwrap();
        ui.into_messages().collect()
    };
    feed(&mut app, messages);

    assert!(!login_screen(&app).is_submitting());
    assert!(shows(&app, "请填写服务器地址、CA 证书文件、用户名和密码"));
}

#[test]
fn without_a_keyring_the_screen_says_passwords_are_not_saved() {
    let app = login_app();
    assert!(shows(&app, "本机无密钥环服务，密码不会被保存"));

    let with_keyring = App::new(
        Settings::default(),
        None,
        KeyringStatus::Available(gascis::credentials::Credentials::new(
            keyring_core::mock::Store::new().unwrap(),
            "mock",
        )),
    );
    assert!(!shows(&with_keyring, "本机无密钥环服务，密码不会被保存"));
}

#[test]
fn wrong_password_is_shown_in_chinese_and_english() {
    let mut app = login_app();
    assert!(!shows(&app, "用户名或密码错误"));

    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Err(
            ApiError::BadCredentials,
        )))],
    );

    assert!(shows(&app, "用户名或密码错误"));
    assert!(shows(&app, "登录"), "the button is usable again");

    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("English").unwrap();
        ui.into_messages().collect()
    };
    feed(&mut app, messages);
    assert_eq!(app.language(), Language::English);
    assert_eq!(app.settings().language, Language::English);
    assert!(shows(&app, "Wrong user name or password"));
    assert!(!shows(&app, "用户名或密码错误"));
}

#[test]
fn specific_errors_are_told_apart() {
    let cases = [
        (ApiError::Disabled, "账户已停用，请联系信息中心"),
        (
            ApiError::Unreachable("tcp connect error".into()),
            "无法连接服务器",
        ),
        (
            ApiError::CertificateNotTrusted("invalid peer certificate: UnknownIssuer".into()),
            "服务器证书不受信任",
        ),
        (
            ApiError::Locked {
                until: "not a time".into(),
            },
            "账户已锁定，请稍后重试",
        ),
    ];
    for (error, expected) in cases {
        let mut app = login_app();
        feed(
            &mut app,
            [Message::Login(login::Message::LoggedIn(Err(error)))],
        );
        assert!(shows(&app, expected), "{expected}");
    }
}

#[test]
fn successful_login_opens_the_home_shell_with_the_cashiers_areas() {
    let (_runtime, session) = session("王芳", vec![Role::Cashier]);
    let mut app = login_app();

    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );

    let home = home_screen(&app);
    assert_eq!(home.session().user.display_name, "王芳");
    assert_eq!(
        home.areas(),
        &[
            home::Area::Overview,
            home::Area::Counter,
            home::Area::Customers,
            home::Area::Tariffs,
            home::Area::InvoicesAndReports
        ]
    );
    assert_eq!(app.settings().last_username, "wangfang");

    let mut ui = simulate(&app);
    assert!(ui.find("王芳").is_ok(), "display name in the header");
    assert!(ui.find("收费员").is_ok(), "role in the header");
    for allowed in ["首页", "收费", "客户档案", "气价方案", "发票与报表"] {
        assert!(ui.find(allowed).is_ok(), "{allowed} should be offered");
    }
    for denied in ["系统管理", "抄表计费", "数据导入", "工单", "安检"] {
        assert!(ui.find(denied).is_err(), "{denied} must not be offered");
    }
}

#[test]
fn an_administrator_sees_administration_but_not_the_counter() {
    let (_runtime, session) = session("李工", vec![Role::Admin]);
    let mut app = login_app();
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );

    let mut ui = simulate(&app);
    assert!(ui.find("系统管理").is_ok());
    assert!(ui.find("收费").is_err());
    assert!(ui.find("系统管理员").is_ok(), "role in the header");
}

#[test]
fn home_shows_server_facts_opens_areas_and_signs_out() {
    let (_runtime, session) = session("王芳", vec![Role::Cashier, Role::Supervisor]);
    let mut app = login_app();
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );
    // Cashiers and supervisors start at the counter.
    assert_eq!(home_screen(&app).selected(), home::Area::Counter);
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("首页").unwrap();
        ui.into_messages().collect()
    };
    feed(&mut app, messages);
    assert_eq!(home_screen(&app).selected(), home::Area::Overview);
    assert!(shows(&app, "正在加载…"));

    feed(
        &mut app,
        [Message::Home(home::Message::ServerInfoLoaded(Ok(
            ServerInfo {
                server_version: "0.1.0".into(),
                schema_version: "2026-11-25-000001".into(),
                company_name: "示例市燃气有限公司".into(),
                server_time: chrono::DateTime::from_timestamp(1_800_000_000, 0),
            },
        )))],
    );
    assert!(shows(&app, "示例市燃气有限公司"));
    assert!(shows(&app, "0.1.0"));
    assert!(shows(&app, "2026-11-25-000001"));
    assert!(!shows(&app, "正在加载…"));

    // Back to the counter.
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("收费").unwrap();
        ui.into_messages().collect()
    };
    feed(&mut app, messages);
    assert_eq!(home_screen(&app).selected(), home::Area::Counter);
    assert!(shows(&app, "户号 / 姓名 / 电话 / 地址，按 Enter 查询"));

    // Sign out: the logout call's outcome brings the login screen back.
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.click("退出登录").unwrap();
        ui.into_messages().collect()
    };
    assert!(
        matches!(messages.as_slice(), [Message::Home(home::Message::LogOut)]),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(shows(&app, "正在退出…"));

    feed(
        &mut app,
        [Message::Home(home::Message::LoggedOut(Err(
            ApiError::Unreachable("gone".into()),
        )))],
    );
    assert_eq!(login_screen(&app).username(), "wangfang");
    assert!(shows(&app, "wangfang"), "user name kept for the next login");
}

#[test]
fn an_expired_session_returns_to_login_with_a_note() {
    let (_runtime, session) = session("王芳", vec![Role::Field]);
    let mut app = login_app();
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );

    feed(
        &mut app,
        [Message::Home(home::Message::ServerInfoLoaded(Err(
            ApiError::SessionExpired,
        )))],
    );

    assert!(matches!(app.screen(), Screen::Login(_)));
    assert!(shows(&app, "登录已失效，请重新登录"));
}

#[test]
fn a_saved_password_from_the_keyring_is_filled_in_and_remembered() {
    let mut app = App::new(
        Settings {
            last_username: "wangfang".into(),
            remember_password: true,
            ..Settings::default()
        },
        None,
        KeyringStatus::Checking,
    );
    assert!(!login_screen(&app).has_password());

    let credentials =
        gascis::credentials::Credentials::new(keyring_core::mock::Store::new().unwrap(), "mock");
    feed(
        &mut app,
        [Message::KeyringOpened(gascis::credentials::Opened {
            status: KeyringStatus::Available(credentials),
            saved_password: Some(Secret::from("saved-pw")),
        })],
    );

    let login = login_screen(&app);
    assert!(login.has_password());
    assert!(login.remembers());
    assert!(!shows(&app, "本机无密钥环服务，密码不会被保存"));
}

/// Renders the screens to PNG files for people to look at (not a check):
/// `cargo test -p gascis --test ui -- --ignored`, then see the paths printed.
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str| {
        let path = directory.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&path);
        let snapshot = simulate(app).snapshot(&theme).unwrap();
        assert!(snapshot.matches_image(&path).unwrap());
        println!("wrote {}", directory.display());
    };

    let mut app = login_app();
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Err(
            ApiError::BadCredentials,
        )))],
    );
    save(&app, "login-error");

    let (_runtime, session) = session("王芳", vec![Role::Cashier, Role::Supervisor]);
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );
    feed(
        &mut app,
        [
            Message::Home(home::Message::ServerInfoLoaded(Ok(ServerInfo {
                server_version: "0.1.0".into(),
                schema_version: "2026-11-25-000001".into(),
                company_name: "示例市燃气有限公司".into(),
                server_time: chrono::DateTime::from_timestamp(1_800_000_000, 0),
            }))),
            Message::Home(home::Message::Select(home::Area::Overview)),
        ],
    );
    save(&app, "home-overview");

    feed(
        &mut app,
        [Message::Home(home::Message::Select(home::Area::Counter))],
    );
    save(&app, "home-counter");
}
