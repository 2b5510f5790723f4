//! Helpers shared by the simulator tests of the areas (archive_ui.rs,
//! import_ui.rs): each includes this file with `#[path]`, so it is not a
//! test binary of its own.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gascis::api::{Connection, ServerAddress, Session, User};
use gascis::app::{App, Message};
use gascis::credentials::KeyringStatus;
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use iced::Size;
use iced_test::{Simulator, selector};

/// The app's view in a simulated window of `size`.
pub fn simulate(app: &App, size: Size) -> Simulator<'_, Message> {
    Simulator::with_size(gascis::theme::settings(), size, app.view())
}

pub fn shows(app: &App, size: Size, text: &str) -> bool {
    simulate(app, size).find(text).is_ok()
}

/// Runs messages through `update`; the tasks would do network or disk I/O,
/// so the tests feed the outcomes instead.
pub fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        let _task = app.update(message);
    }
}

/// Clicks the text `label`, feeds the messages and returns them.
pub fn click_text(app: &mut App, size: Size, label: &str) -> Vec<Message> {
    let messages: Vec<Message> = {
        let mut ui = simulate(app, size);
        let _ = ui
            .click(label)
            .unwrap_or_else(|error| panic!("{label} should be on screen: {error:?}"));
        ui.into_messages().collect()
    };
    feed(app, messages.clone());
    messages
}

/// Types `text` into the input with `id`, one key at a time, feeding each
/// message before the next key.
pub fn type_into(app: &mut App, size: Size, id: &str, text: &str) {
    for character in text.chars() {
        let messages: Vec<Message> = {
            let mut ui = simulate(app, size);
            let _ = ui
                .click(selector::id(id.to_owned()))
                .unwrap_or_else(|error| panic!("input {id} should be on screen: {error:?}"));
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

/// Who is signed in.
pub struct Person {
    pub id: i64,
    pub username: &'static str,
    pub display_name: &'static str,
}

/// A session on a channel that never connects: tonic spawns the channel's
/// worker on the runtime, which must outlive the session.
pub fn session(person: &Person, roles: Vec<Role>) -> (tokio::runtime::Runtime, Session) {
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
            id: person.id,
            username: person.username.into(),
            display_name: person.display_name.into(),
            roles,
        },
        idle_timeout: Duration::from_secs(1800),
        expires_at: None,
    };
    (runtime, session)
}

/// An app signed in as `person` with `roles`, on `area`.
pub fn signed_in(
    person: &Person,
    roles: Vec<Role>,
    area: home::Area,
) -> (tokio::runtime::Runtime, App) {
    let (runtime, session) = session(person, roles);
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("no keyring in tests".into()),
    );
    feed(
        &mut app,
        [
            Message::Login(login::Message::LoggedIn(Ok(session))),
            Message::Home(home::Message::Select(area)),
        ],
    );
    (runtime, app)
}
