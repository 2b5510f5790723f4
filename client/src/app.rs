//! The application: which screen is shown, the language, the settings and the
//! keyring, and the routing of messages between them.

use std::path::PathBuf;

use iced::keyboard::{self, key};
use iced::{Element, Event, Subscription, Task, Theme, event, window};

use crate::api::ApiError;
use crate::credentials::{self, Credentials, KeyringStatus};
use crate::i18n::{Key, Language, tr};
use crate::screen::{home, login};
use crate::settings::{self, Settings};
use crate::theme;

pub struct App {
    screen: Screen,
    language: Language,
    settings: Settings,
    /// Where settings are saved; `None` keeps them in memory only (tests, or
    /// a platform without a config directory).
    settings_path: Option<PathBuf>,
    keyring: KeyringStatus,
}

/// The screen on show.
#[derive(Debug)]
pub enum Screen {
    Login(login::Login),
    /// Boxed: the home shell holds every area's state.
    Home(Box<home::Home>),
}

#[derive(Debug, Clone)]
pub enum Message {
    Login(login::Message),
    Home(home::Message),
    KeyringOpened(credentials::Opened),
    SettingsSaved(Result<(), settings::SettingsError>),
    PasswordRemembered(Result<(), credentials::CredentialError>),
    /// Tab or Shift+Tab that no widget took: the focus moves through the
    /// fields of the form.
    MoveFocus {
        backwards: bool,
    },
}

impl App {
    /// The app as it starts on a user's machine: settings from the config
    /// file, and a task that looks for the keyring.
    pub fn boot() -> (Self, Task<Message>) {
        let settings_path = settings::default_path();
        let settings = settings_path
            .as_deref()
            .map(settings::load)
            .unwrap_or_default();
        let settings = settings::with_overrides(
            settings,
            std::env::var("GASCIS_SERVER").ok(),
            std::env::var("GASCIS_CA_FILE").ok(),
        );
        let app = App::new(settings, settings_path, KeyringStatus::Checking);
        let task = app.open_keyring();
        (app, task)
    }

    /// An app on the login screen with the given settings and keyring, doing
    /// no I/O: what the tests build.
    pub fn new(settings: Settings, settings_path: Option<PathBuf>, keyring: KeyringStatus) -> Self {
        let mut login = login::Login::new(&settings);
        login.keyring_checked(remembering(&keyring), None);
        App {
            screen: Screen::Login(login),
            language: settings.language,
            settings,
            settings_path,
            keyring,
        }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn title(&self) -> String {
        tr(self.language, Key::WindowTitle).to_owned()
    }

    pub fn theme(&self) -> Theme {
        theme::app_theme()
    }

    /// Tab moves the cursor between fields, as office users expect.
    pub fn subscription(&self) -> Subscription<Message> {
        event::listen_with(tab_key)
    }

    fn open_keyring(&self) -> Task<Message> {
        let server = saved_password_server(&self.settings.server_address);
        let username = if self.settings.remember_password {
            self.settings.last_username.clone()
        } else {
            String::new()
        };
        Task::perform(credentials::open(server, username), Message::KeyringOpened)
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Login(message) => {
                let Screen::Login(login) = &mut self.screen else {
                    return Task::none();
                };
                match login.update(message) {
                    login::Action::None => Task::none(),
                    login::Action::Run(task) => task.map(Message::Login),
                    login::Action::SwitchLanguage(language) => self.switch_language(language),
                    login::Action::LoggedIn(logged_in) => self.enter_home(*logged_in),
                }
            }
            Message::Home(message) => {
                let Screen::Home(home) = &mut self.screen else {
                    return Task::none();
                };
                match home.update(message) {
                    home::Action::None => Task::none(),
                    home::Action::Run(task) => task.map(Message::Home),
                    home::Action::SwitchLanguage(language) => self.switch_language(language),
                    home::Action::LoggedOut { reason } => {
                        self.back_to_login(reason);
                        Task::none()
                    }
                }
            }
            Message::KeyringOpened(opened) => {
                self.keyring = opened.status;
                if let Screen::Login(login) = &mut self.screen {
                    login.keyring_checked(remembering(&self.keyring), opened.saved_password);
                }
                Task::none()
            }
            Message::SettingsSaved(result) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "settings not saved");
                }
                Task::none()
            }
            Message::PasswordRemembered(result) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "password not saved in the keyring");
                }
                Task::none()
            }
            Message::MoveFocus { backwards: true } => iced::widget::operation::focus_previous(),
            Message::MoveFocus { backwards: false } => iced::widget::operation::focus_next(),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        match &self.screen {
            Screen::Login(login) => login.view(self.language).map(Message::Login),
            Screen::Home(home) => home.view(self.language).map(Message::Home),
        }
    }

    fn switch_language(&mut self, language: Language) -> Task<Message> {
        self.language = language;
        self.settings.language = language;
        self.save_settings()
    }

    fn enter_home(&mut self, logged_in: login::LoggedIn) -> Task<Message> {
        let login::LoggedIn {
            session,
            server_address,
            ca_file,
            username,
            remembered_password,
        } = logged_in;

        // The server's spelling of the name: logins are case-insensitive,
        // and the keyring entry must be found again whatever was typed.
        let username = if session.user.username.is_empty() {
            username
        } else {
            session.user.username.clone()
        };
        self.settings.server_address = server_address;
        self.settings.ca_file = ca_file;
        self.settings.last_username = username.clone();
        self.settings.remember_password = remembered_password.is_some();

        let remember = match self.keyring.credentials() {
            Some(credentials) => remember_task(
                credentials.clone(),
                session.connection.address().to_string(),
                username,
                remembered_password,
            ),
            None => Task::none(),
        };

        let (mut home, load) = home::Home::new(session);
        home.set_receipt_printer(&self.settings.receipt_printer);
        self.screen = Screen::Home(Box::new(home));

        Task::batch([load.map(Message::Home), self.save_settings(), remember])
    }

    fn back_to_login(&mut self, reason: Option<ApiError>) {
        let mut login = login::Login::new(&self.settings);
        // The saved password is not filled in again here: whoever signed out
        // may be handing the counter over to a colleague.
        login.keyring_checked(remembering(&self.keyring), None);
        if let Some(reason) = reason {
            login = login.with_problem(login::Problem::Api(reason));
        }
        self.screen = Screen::Login(login);
    }

    fn save_settings(&self) -> Task<Message> {
        match &self.settings_path {
            Some(path) => Task::perform(
                settings::save_in_background(path.clone(), self.settings.clone()),
                Message::SettingsSaved,
            ),
            None => Task::none(),
        }
    }
}

fn tab_key(event: Event, status: event::Status, _window: window::Id) -> Option<Message> {
    match (event, status) {
        (
            Event::Keyboard(keyboard::Event::KeyPressed {
                key: keyboard::Key::Named(key::Named::Tab),
                modifiers,
                ..
            }),
            event::Status::Ignored,
        ) => Some(Message::MoveFocus {
            backwards: modifiers.shift(),
        }),
        _ => None,
    }
}

fn remember_task(
    credentials: Credentials,
    server: String,
    username: String,
    password: Option<crate::secret::Secret>,
) -> Task<Message> {
    Task::perform(
        credentials::remember(credentials, server, username, password),
        Message::PasswordRemembered,
    )
}

/// The keyring key of a server is its normalised address, so `localhost`
/// and `https://localhost:50443` find the same saved password.
fn saved_password_server(server_address: &str) -> String {
    crate::api::ServerAddress::parse(server_address)
        .map(|address| address.to_string())
        .unwrap_or_default()
}

fn remembering(keyring: &KeyringStatus) -> login::Remembering {
    match keyring {
        KeyringStatus::Checking => login::Remembering::Checking,
        KeyringStatus::Available(_) => login::Remembering::Available,
        KeyringStatus::Unavailable(_) => login::Remembering::Unavailable,
    }
}
