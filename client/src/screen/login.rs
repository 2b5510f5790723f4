//! The login screen: server, CA certificate, user name, password.

use std::path::PathBuf;

use iced::widget::{button, checkbox, column, container, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::api::{self, ApiError, Session};
use crate::i18n::{self, Key, Language, tr};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::theme;
use crate::widget;

/// Widget ids, for focus handling and for the UI tests.
pub const SERVER_ADDRESS_INPUT: &str = "login-server-address";
pub const CA_FILE_INPUT: &str = "login-ca-file";
pub const USERNAME_INPUT: &str = "login-username";
pub const PASSWORD_INPUT: &str = "login-password";

/// Whether "记住我" can work on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembering {
    /// The keyring is still being looked for.
    Checking,
    Available,
    /// No keyring: the box is disabled and a note says why.
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct Login {
    server_address: String,
    ca_file: String,
    username: String,
    password: Secret,
    remember: bool,
    remembering: Remembering,
    is_submitting: bool,
    problem: Option<Problem>,
}

/// Why the last attempt did not get in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    MissingFields,
    Api(ApiError),
}

#[derive(Debug, Clone)]
pub enum Message {
    ServerAddressChanged(String),
    CaFileChanged(String),
    UsernameChanged(String),
    PasswordChanged(Secret),
    RememberToggled(bool),
    SelectLanguage(Language),
    Submit,
    LoggedIn(Result<Session, ApiError>),
}

/// What the app has to do after an update.
#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    SwitchLanguage(Language),
    /// The user is in. The form values are for the settings and the keyring.
    LoggedIn(Box<LoggedIn>),
}

#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub session: Session,
    pub server_address: String,
    pub ca_file: String,
    pub username: String,
    /// The password to save, when the user asked to be remembered.
    pub remembered_password: Option<Secret>,
}

impl Login {
    /// The form, prefilled from the settings of the last run.
    pub fn new(settings: &Settings) -> Self {
        Login {
            server_address: settings.server_address.clone(),
            ca_file: settings.ca_file.clone(),
            username: settings.last_username.clone(),
            password: Secret::default(),
            remember: settings.remember_password,
            remembering: Remembering::Checking,
            is_submitting: false,
            problem: None,
        }
    }

    /// A note shown when the user arrives here after a session ended.
    pub fn with_problem(mut self, problem: Problem) -> Self {
        self.problem = Some(problem);
        self
    }

    /// The keyring was looked for. A saved password of the prefilled user is
    /// filled in, unless the user has started typing another one meanwhile.
    pub fn keyring_checked(&mut self, remembering: Remembering, saved_password: Option<Secret>) {
        self.remembering = remembering;
        if remembering != Remembering::Available {
            self.remember = false;
        }
        if let Some(password) = saved_password
            && self.password.is_empty()
        {
            self.password = password;
            self.remember = true;
        }
    }

    pub fn is_submitting(&self) -> bool {
        self.is_submitting
    }

    pub fn problem(&self) -> Option<&Problem> {
        self.problem.as_ref()
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// Whether "记住我" is ticked.
    pub fn remembers(&self) -> bool {
        self.remember
    }

    /// Whether the password field holds anything (its content stays private).
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::ServerAddressChanged(value) => self.server_address = value,
            Message::CaFileChanged(value) => self.ca_file = value,
            Message::UsernameChanged(value) => self.username = value,
            Message::PasswordChanged(value) => self.password = value,
            Message::RememberToggled(value) => {
                self.remember = value && self.remembering == Remembering::Available;
            }
            Message::SelectLanguage(language) => return Action::SwitchLanguage(language),
            Message::Submit => return self.submit(),
            Message::LoggedIn(result) => {
                self.is_submitting = false;
                match result {
                    Ok(session) => {
                        self.problem = None;
                        let logged_in = LoggedIn {
                            session,
                            server_address: self.server_address.trim().to_owned(),
                            ca_file: self.ca_file.trim().to_owned(),
                            username: self.username.trim().to_owned(),
                            remembered_password: self.remember.then(|| self.password.clone()),
                        };
                        // The session holds what is needed from here on; the
                        // password must not linger in the form.
                        self.password = Secret::default();
                        return Action::LoggedIn(Box::new(logged_in));
                    }
                    Err(error) => {
                        // A rejected password (perhaps a stale saved one) is
                        // cleared so the next attempt starts from an empty field.
                        if error == ApiError::BadCredentials {
                            self.password = Secret::default();
                        }
                        self.problem = Some(Problem::Api(error));
                    }
                }
            }
        }
        Action::None
    }

    fn submit(&mut self) -> Action {
        if self.is_submitting {
            return Action::None;
        }
        let server_address = self.server_address.trim().to_owned();
        let ca_file = self.ca_file.trim().to_owned();
        let username = self.username.trim().to_owned();
        if server_address.is_empty()
            || ca_file.is_empty()
            || username.is_empty()
            || self.password.is_empty()
        {
            self.problem = Some(Problem::MissingFields);
            return Action::None;
        }

        self.is_submitting = true;
        self.problem = None;
        Action::Run(Task::perform(
            api::sign_in(
                server_address,
                PathBuf::from(ca_file),
                username,
                self.password.clone(),
            ),
            Message::LoggedIn,
        ))
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let header = widget::header_bar(
            text(tr(language, Key::WindowTitle)).size(18),
            widget::language_switch(language, Message::SelectLanguage),
        );

        let enabled = !self.is_submitting;
        let field = |label: Key, input: text_input::TextInput<'static, Message>| {
            column![text(tr(language, label)).size(theme::TEXT_SMALL), input].spacing(4)
        };
        let input = |id: &'static str, placeholder: Key, value: &str| {
            text_input(tr(language, placeholder), value)
                .id(id)
                .padding([7, 10])
                .style(theme::text_input::field)
        };

        let server_address = field(
            Key::ServerAddress,
            input(
                SERVER_ADDRESS_INPUT,
                Key::ServerAddressPlaceholder,
                &self.server_address,
            )
            .on_input_maybe(enabled.then_some(Message::ServerAddressChanged)),
        );
        let ca_file = field(
            Key::CaFile,
            input(CA_FILE_INPUT, Key::CaFilePlaceholder, &self.ca_file)
                .on_input_maybe(enabled.then_some(Message::CaFileChanged)),
        )
        .push(
            text(tr(language, Key::CaFileHint))
                .size(12)
                .style(theme::text::muted),
        );
        let username = field(
            Key::Username,
            input(USERNAME_INPUT, Key::UsernamePlaceholder, &self.username)
                .on_input_maybe(enabled.then_some(Message::UsernameChanged)),
        );
        let password = field(
            Key::Password,
            input(
                PASSWORD_INPUT,
                Key::PasswordPlaceholder,
                self.password.expose(),
            )
            .secure(true)
            .on_input_maybe(
                enabled.then_some(|value: String| Message::PasswordChanged(Secret::from(value))),
            )
            .on_submit_maybe(enabled.then_some(Message::Submit)),
        );

        let can_remember = enabled && self.remembering == Remembering::Available;
        let remember = checkbox(self.remember)
            .label(tr(language, Key::RememberMe))
            .size(16)
            .text_size(theme::TEXT_SMALL)
            .on_toggle_maybe(can_remember.then_some(Message::RememberToggled));

        let submit = button(
            container(text(tr(
                language,
                if self.is_submitting {
                    Key::LoggingIn
                } else {
                    Key::LogIn
                },
            )))
            .center_x(Length::Fill),
        )
        .width(Length::Fill)
        .padding([9, 16])
        .style(theme::button::primary)
        .on_press_maybe(enabled.then_some(Message::Submit));

        let mut form = column![
            text(tr(language, Key::LoginTitle)).size(theme::TEXT_TITLE),
            text(tr(language, Key::ProductName))
                .size(theme::TEXT_SMALL)
                .style(theme::text::muted),
            server_address,
            ca_file,
            username,
            password,
            remember,
        ]
        .spacing(14);

        if self.remembering == Remembering::Unavailable {
            form = form.push(
                text(tr(language, Key::KeyringUnavailable))
                    .size(12)
                    .style(theme::text::muted),
            );
        }
        form = form.push(submit);
        if let Some(problem) = &self.problem {
            form = form.push(problem_view(language, problem));
        }

        let card = container(form)
            .padding(28)
            .width(440)
            .style(theme::container::card);

        column![
            header,
            // Anchored at the top rather than centred: an error appearing
            // below the button must not move the fields under the mouse.
            container(card)
                .center_x(Length::Fill)
                .height(Length::Fill)
                .padding(iced::Padding {
                    top: 72.0,
                    ..iced::Padding::new(20.0)
                })
                .style(theme::container::page)
        ]
        .into()
    }
}

fn problem_view(language: Language, problem: &Problem) -> Element<'static, Message> {
    let error = match problem {
        Problem::MissingFields => i18n::ErrorText {
            headline: tr(language, Key::MissingFields).to_owned(),
            advice: None,
            detail: None,
        },
        Problem::Api(error) => i18n::error_text(language, error),
    };

    let mut lines = column![text(error.headline).style(theme::text::error)].spacing(4);
    if let Some(advice) = error.advice {
        lines = lines.push(
            text(advice)
                .size(theme::TEXT_SMALL)
                .style(theme::text::muted),
        );
    }
    if let Some(detail) = error.detail {
        lines = lines.push(text(detail).size(12).style(theme::text::muted));
    }

    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .align_y(Alignment::Center)
        .style(theme::container::error_box)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> Login {
        let mut login = Login::new(&Settings {
            server_address: "localhost:50443".into(),
            ca_file: "/etc/gascis/ca.pem".into(),
            last_username: "wangfang".into(),
            remember_password: false,
            language: Language::SimplifiedChinese,
            ..Settings::default()
        });
        let _ = login.update(Message::PasswordChanged(Secret::from("pw")));
        login
    }

    #[test]
    fn submit_with_all_fields_starts_signing_in_once() {
        let mut login = filled();

        assert!(matches!(login.update(Message::Submit), Action::Run(_)));
        assert!(login.is_submitting());
        assert!(matches!(login.update(Message::Submit), Action::None));
    }

    #[test]
    fn submit_with_a_missing_field_asks_for_it() {
        let mut login = filled();
        let _ = login.update(Message::CaFileChanged("  ".into()));

        assert!(matches!(login.update(Message::Submit), Action::None));
        assert!(!login.is_submitting());
        assert_eq!(login.problem(), Some(&Problem::MissingFields));
    }

    #[test]
    fn wrong_password_ends_submitting_and_clears_the_password() {
        let mut login = filled();
        let _ = login.update(Message::Submit);

        let action = login.update(Message::LoggedIn(Err(ApiError::BadCredentials)));

        assert!(matches!(action, Action::None));
        assert!(!login.is_submitting());
        assert_eq!(
            login.problem(),
            Some(&Problem::Api(ApiError::BadCredentials))
        );
        assert!(login.password.is_empty());
    }

    #[test]
    fn unreachable_server_keeps_the_password() {
        let mut login = filled();
        let _ = login.update(Message::Submit);

        let _ = login.update(Message::LoggedIn(Err(ApiError::Unreachable(
            "refused".into(),
        ))));

        assert_eq!(login.password.expose(), "pw");
    }

    #[test]
    fn remember_me_needs_a_keyring() {
        let mut login = filled();
        login.keyring_checked(Remembering::Unavailable, None);
        let _ = login.update(Message::RememberToggled(true));
        assert!(!login.remember);

        login.keyring_checked(Remembering::Available, None);
        let _ = login.update(Message::RememberToggled(true));
        assert!(login.remember);
    }

    #[test]
    fn saved_password_fills_an_empty_field_only() {
        let mut login = Login::new(&Settings::default());
        login.keyring_checked(Remembering::Available, Some(Secret::from("saved")));
        assert_eq!(login.password.expose(), "saved");
        assert!(login.remember);

        let mut typing = filled();
        typing.keyring_checked(Remembering::Available, Some(Secret::from("saved")));
        assert_eq!(typing.password.expose(), "pw");
    }

    #[test]
    fn language_choice_goes_to_the_app() {
        let mut login = filled();
        assert!(matches!(
            login.update(Message::SelectLanguage(Language::English)),
            Action::SwitchLanguage(Language::English)
        ));
    }
}
