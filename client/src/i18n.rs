//! Every text the user sees, in Simplified Chinese (the default) and English.
//!
//! Screens never hold literal UI text: they ask [`tr`] for a [`Key`] (or an
//! [`archive::Key`] for the customer archive, an [`import::Key`] for the
//! import area), or one of the formatting functions for text with values
//! in it.

pub mod archive;
pub mod billing;
pub mod counter;
pub mod import;
pub mod invoices;
pub mod tariffs;

use gascis_common::Role;
use serde::{Deserialize, Serialize};

use crate::api::ApiError;
use crate::screen::home::Area;

/// The language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// Simplified Chinese, what counter and office staff read every day.
    #[default]
    #[serde(rename = "zh-CN")]
    SimplifiedChinese,
    #[serde(rename = "en")]
    English,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::SimplifiedChinese, Language::English];

    /// The language's own name, the same in every interface language so a
    /// user who cannot read the current one still finds theirs.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::SimplifiedChinese => "中文",
            Language::English => "English",
        }
    }
}

/// A fixed text of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    WindowTitle,
    ProductName,
    LoginTitle,
    ServerAddress,
    ServerAddressPlaceholder,
    CaFile,
    CaFilePlaceholder,
    CaFileHint,
    Username,
    UsernamePlaceholder,
    Password,
    PasswordPlaceholder,
    RememberMe,
    LogIn,
    LoggingIn,
    KeyringUnavailable,
    MissingFields,
    LogOut,
    LoggingOut,
    ModuleComesLater,
    ServerVersion,
    SchemaVersion,
    ServerTime,
    SessionExpiry,
    Loading,
    NotAvailable,
    ServerInfoFailed,
    SessionEnded,
}

/// A fixed text known in every language.
pub trait Text: Copy {
    fn in_language(self, language: Language) -> &'static str;
}

/// The text of `key` in `language`.
pub fn tr(language: Language, key: impl Text) -> &'static str {
    key.in_language(language)
}

impl Text for Key {
    fn in_language(self, language: Language) -> &'static str {
        key_text(self, language)
    }
}

fn key_text(key: Key, language: Language) -> &'static str {
    use Language::{English as En, SimplifiedChinese as Zh};

    match (key, language) {
        (Key::WindowTitle, Zh) => "gascis 燃气客户信息管理系统",
        (Key::WindowTitle, En) => "gascis – Gas Customer Information System",
        (Key::ProductName, Zh) => "燃气客户信息管理系统",
        (Key::ProductName, En) => "Gas Customer Information System",
        (Key::LoginTitle, Zh) => "用户登录",
        (Key::LoginTitle, En) => "Sign in",
        (Key::ServerAddress, Zh) => "服务器地址",
        (Key::ServerAddress, En) => "Server address",
        (Key::ServerAddressPlaceholder, Zh) => "例如 10.0.0.5:50443",
        (Key::ServerAddressPlaceholder, En) => "e.g. 10.0.0.5:50443",
        (Key::CaFile, Zh) => "CA 证书文件",
        (Key::CaFile, En) => "CA certificate file",
        (Key::CaFilePlaceholder, Zh) => "例如 C:\\gascis\\ca.pem",
        (Key::CaFilePlaceholder, En) => "e.g. C:\\gascis\\ca.pem",
        (Key::CaFileHint, Zh) => "由信息中心提供的 PEM 格式证书文件的完整路径",
        (Key::CaFileHint, En) => "Full path of the PEM certificate file given to you by IT",
        (Key::Username, Zh) => "用户名",
        (Key::Username, En) => "User name",
        (Key::UsernamePlaceholder, Zh) => "请输入用户名",
        (Key::UsernamePlaceholder, En) => "Your user name",
        (Key::Password, Zh) => "密码",
        (Key::Password, En) => "Password",
        (Key::PasswordPlaceholder, Zh) => "请输入密码",
        (Key::PasswordPlaceholder, En) => "Your password",
        (Key::RememberMe, Zh) => "记住我",
        (Key::RememberMe, En) => "Remember me",
        (Key::LogIn, Zh) => "登录",
        (Key::LogIn, En) => "Sign in",
        (Key::LoggingIn, Zh) => "正在登录…",
        (Key::LoggingIn, En) => "Signing in…",
        (Key::KeyringUnavailable, Zh) => "本机无密钥环服务，密码不会被保存",
        (Key::KeyringUnavailable, En) => {
            "No keyring service on this computer: the password will not be saved"
        }
        (Key::MissingFields, Zh) => "请填写服务器地址、CA 证书文件、用户名和密码",
        (Key::MissingFields, En) => {
            "Please fill in the server address, CA certificate file, user name and password"
        }
        (Key::LogOut, Zh) => "退出登录",
        (Key::LogOut, En) => "Sign out",
        (Key::LoggingOut, Zh) => "正在退出…",
        (Key::LoggingOut, En) => "Signing out…",
        (Key::ModuleComesLater, Zh) => "该模块将在后续版本中提供。",
        (Key::ModuleComesLater, En) => "This module comes in a later release.",
        (Key::ServerVersion, Zh) => "服务器版本",
        (Key::ServerVersion, En) => "Server version",
        (Key::SchemaVersion, Zh) => "数据库结构版本",
        (Key::SchemaVersion, En) => "Database schema version",
        (Key::ServerTime, Zh) => "服务器时间",
        (Key::ServerTime, En) => "Server time",
        (Key::SessionExpiry, Zh) => "本次登录有效期至",
        (Key::SessionExpiry, En) => "Session valid until",
        (Key::Loading, Zh) => "正在加载…",
        (Key::Loading, En) => "Loading…",
        (Key::NotAvailable, Zh) => "—",
        (Key::NotAvailable, En) => "—",
        (Key::ServerInfoFailed, Zh) => "无法获取服务器信息",
        (Key::ServerInfoFailed, En) => "Could not load the server information",
        (Key::SessionEnded, Zh) => "登录已失效，请重新登录",
        (Key::SessionEnded, En) => "Your session has ended. Please sign in again.",
    }
}

/// The name of a navigation area.
pub fn area_name(language: Language, area: Area) -> &'static str {
    use Language::{English as En, SimplifiedChinese as Zh};

    match (area, language) {
        (Area::Overview, Zh) => "首页",
        (Area::Overview, En) => "Overview",
        (Area::Counter, Zh) => "收费",
        (Area::Counter, En) => "Counter",
        (Area::Customers, Zh) => "客户档案",
        (Area::Customers, En) => "Customers",
        (Area::ReadingsAndBilling, Zh) => "抄表计费",
        (Area::ReadingsAndBilling, En) => "Readings & billing",
        (Area::Tariffs, Zh) => "气价方案",
        (Area::Tariffs, En) => "Tariffs",
        (Area::Import, Zh) => "数据导入",
        (Area::Import, En) => "Import",
        (Area::WorkOrders, Zh) => "工单",
        (Area::WorkOrders, En) => "Work orders",
        (Area::Inspections, Zh) => "安检",
        (Area::Inspections, En) => "Inspections",
        (Area::InvoicesAndReports, Zh) => "发票与报表",
        (Area::InvoicesAndReports, En) => "Invoices & reports",
        (Area::Administration, Zh) => "系统管理",
        (Area::Administration, En) => "Administration",
    }
}

/// The name of a role.
pub fn role_name(language: Language, role: Role) -> &'static str {
    match language {
        Language::SimplifiedChinese => role.label_zh(),
        Language::English => role.label_en(),
    }
}

/// Role names joined the way each language lists things.
pub fn role_list(language: Language, roles: &[Role]) -> String {
    let separator = match language {
        Language::SimplifiedChinese => "、",
        Language::English => ", ",
    };
    roles
        .iter()
        .map(|role| role_name(language, *role))
        .collect::<Vec<_>>()
        .join(separator)
}

/// The greeting on the overview page.
pub fn welcome(language: Language, display_name: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("{display_name}，您好！欢迎使用燃气客户信息管理系统。")
        }
        Language::English => {
            format!("Welcome, {display_name}, to the Gas Customer Information System.")
        }
    }
}

/// What went wrong, as the user should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorText {
    /// One short line, shown in red.
    pub headline: String,
    /// What the user can do about it, when there is something to say.
    pub advice: Option<&'static str>,
    /// The technical cause, for IT when the user calls them.
    pub detail: Option<String>,
}

/// The user-facing text of an [`ApiError`].
pub fn error_text(language: Language, error: &ApiError) -> ErrorText {
    use Language::{English as En, SimplifiedChinese as Zh};

    let plain = |headline: &str, advice: Option<&'static str>, detail: Option<&String>| ErrorText {
        headline: headline.to_owned(),
        advice,
        detail: detail.filter(|text| !text.is_empty()).cloned(),
    };

    match (error, language) {
        (ApiError::BadCredentials, Zh) => plain("用户名或密码错误", None, None),
        (ApiError::BadCredentials, En) => plain("Wrong user name or password", None, None),
        (ApiError::Locked { until }, _) => ErrorText {
            headline: locked_until(language, until),
            advice: None,
            detail: None,
        },
        (ApiError::Disabled, Zh) => plain("账户已停用，请联系信息中心", None, None),
        (ApiError::Disabled, En) => {
            plain("This account is disabled. Please contact IT.", None, None)
        }
        (ApiError::Unreachable(detail), Zh) => plain(
            "无法连接服务器",
            Some("请检查服务器地址和网络连接，或联系信息中心"),
            Some(detail),
        ),
        (ApiError::Unreachable(detail), En) => plain(
            "Cannot reach the server",
            Some("Check the server address and the network, or contact IT"),
            Some(detail),
        ),
        (ApiError::CertificateNotTrusted(detail), Zh) => plain(
            "服务器证书不受信任",
            Some("请确认 CA 证书文件和服务器地址是否正确"),
            Some(detail),
        ),
        (ApiError::CertificateNotTrusted(detail), En) => plain(
            "The server certificate is not trusted",
            Some("Check the CA certificate file and the server address"),
            Some(detail),
        ),
        (ApiError::CaFile(detail), Zh) => plain(
            "无法读取 CA 证书文件",
            Some("请填写信息中心提供的 PEM 格式证书文件的完整路径"),
            Some(detail),
        ),
        (ApiError::CaFile(detail), En) => plain(
            "Cannot read the CA certificate file",
            Some("Enter the full path of the PEM certificate file given to you by IT"),
            Some(detail),
        ),
        (ApiError::InvalidAddress(detail), Zh) => plain(
            "服务器地址格式不正确",
            Some("格式为 主机:端口，例如 10.0.0.5:50443"),
            Some(detail),
        ),
        (ApiError::InvalidAddress(detail), En) => plain(
            "The server address is not valid",
            Some("Use host:port, e.g. 10.0.0.5:50443"),
            Some(detail),
        ),
        (ApiError::SessionExpired, _) => plain(tr(language, Key::SessionEnded), None, None),
        (ApiError::PermissionDenied, Zh) => plain("您的角色无权执行此操作", None, None),
        (ApiError::PermissionDenied, En) => {
            plain("Your roles do not allow this operation", None, None)
        }
        (ApiError::InvalidField { field, message }, _) => ErrorText {
            headline: match language {
                Zh => "提交的内容有误，请修改后重试".to_owned(),
                En => "Some of the input was refused. Correct it and try again.".to_owned(),
            },
            advice: None,
            detail: Some(if field.is_empty() {
                message.clone()
            } else {
                format!("{field}: {message}")
            }),
        },
        (ApiError::StaleVersion(message), _) => {
            let headline = match (stale_changed_by(message), language) {
                (Some((user, at)), Zh) => format!("该记录已被 {user} 于 {at} 修改"),
                (Some((user, at)), En) => format!("{user} changed this record at {at}"),
                (None, Zh) => "该记录已被他人修改".to_owned(),
                (None, En) => "Someone else changed this record".to_owned(),
            };
            ErrorText {
                headline,
                advice: Some(match language {
                    Zh => "已重新加载最新数据，您填写的内容已保留，请核对后再次提交",
                    En => {
                        "It has been reloaded and what you typed is kept: check it and submit again"
                    }
                }),
                detail: None,
            }
        }
        (ApiError::ApprovalRequired(detail), Zh) => {
            plain("此操作需要值班主管审批", None, Some(detail))
        }
        (ApiError::ApprovalRequired(detail), En) => {
            plain("This needs a supervisor's approval", None, Some(detail))
        }
        (ApiError::Refused(detail), _) => ErrorText {
            headline: archive::refusal(language, detail),
            advice: None,
            detail: Some(detail.clone()).filter(|text| !text.is_empty()),
        },
        (ApiError::Unimplemented(detail), Zh) => plain(
            "服务器暂不支持此功能",
            Some("该功能将在后续版本中提供"),
            Some(detail),
        ),
        (ApiError::Unimplemented(detail), En) => plain(
            "The server does not offer this yet",
            Some("It comes in a later release"),
            Some(detail),
        ),
        (ApiError::File(detail), Zh) => plain(
            "无法读写文件",
            Some("请检查文件路径、文件是否被其他程序（如 Excel）占用，以及是否有权限"),
            Some(detail),
        ),
        (ApiError::File(detail), En) => plain(
            "Cannot read or write the file",
            Some(
                "Check the path, whether another program (e.g. Excel) holds the file, and your permissions",
            ),
            Some(detail),
        ),
        (ApiError::Other(detail), Zh) => {
            plain("操作失败，请稍后重试或联系信息中心", None, Some(detail))
        }
        (ApiError::Other(detail), En) => plain(
            "Something went wrong. Try again later or contact IT.",
            None,
            Some(detail),
        ),
    }
}

/// Who changed a record and when, from the server's conflict message
/// ("… was changed by zhangmin at 2026-11-25 09:01:02 UTC since you opened
/// it; …"): the user name as written, the time in local time (as it is
/// written unchanged when it cannot be read). `None` when the message does
/// not say (a change with no change record, or another server's words).
pub fn stale_changed_by(message: &str) -> Option<(String, String)> {
    // From the end: the label before "was changed" is a customer's name,
    // which may hold anything.
    let (before, _) = message.rsplit_once(" since you opened it")?;
    let (_, by_at) = before.rsplit_once(" was changed by ")?;
    let (user, at) = by_at.rsplit_once(" at ")?;
    let (user, at) = (user.trim(), at.trim());
    if user.is_empty() || at.is_empty() {
        return None;
    }
    let local = at
        .strip_suffix(" UTC")
        .and_then(|utc| chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S").ok())
        .map(|utc| local_date_time(utc.and_utc()))
        .unwrap_or_else(|| at.to_owned());
    Some((user.to_owned(), local))
}

/// "Locked until HH:MM" in local time; the server sends RFC 3339.
pub fn locked_until(language: Language, until_rfc3339: &str) -> String {
    let local_time = chrono::DateTime::parse_from_rfc3339(until_rfc3339)
        .ok()
        .map(|until| {
            until
                .with_timezone(&chrono::Local)
                .format("%H:%M")
                .to_string()
        });

    match (language, local_time) {
        (Language::SimplifiedChinese, Some(time)) => format!("账户已锁定，请于 {time} 后重试"),
        (Language::SimplifiedChinese, None) => "账户已锁定，请稍后重试".to_owned(),
        (Language::English, Some(time)) => {
            format!("This account is locked. Try again after {time}.")
        }
        (Language::English, None) => "This account is locked. Try again later.".to_owned(),
    }
}

/// A date and time in the user's local time zone, as people write it.
pub fn local_date_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The text of `language` among a pair written side by side.
pub(crate) fn pick(language: Language, zh: &'static str, en: &'static str) -> &'static str {
    match language {
        Language::SimplifiedChinese => zh,
        Language::English => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_time_is_shown_in_local_time() {
        let until = chrono::Utc::now() + chrono::Duration::minutes(15);
        let expected = until
            .with_timezone(&chrono::Local)
            .format("%H:%M")
            .to_string();

        let text = locked_until(Language::SimplifiedChinese, &until.to_rfc3339());

        assert_eq!(text, format!("账户已锁定，请于 {expected} 后重试"));
    }

    #[test]
    fn unreadable_lockout_time_still_says_locked() {
        assert_eq!(
            locked_until(Language::SimplifiedChinese, "soon"),
            "账户已锁定，请稍后重试"
        );
        assert!(locked_until(Language::English, "").contains("locked"));
    }

    #[test]
    fn every_error_has_a_headline_in_both_languages() {
        let errors = [
            ApiError::BadCredentials,
            ApiError::Locked {
                until: String::new(),
            },
            ApiError::Disabled,
            ApiError::Unreachable("refused".into()),
            ApiError::CertificateNotTrusted("UnknownIssuer".into()),
            ApiError::CaFile("missing".into()),
            ApiError::InvalidAddress("bad".into()),
            ApiError::SessionExpired,
            ApiError::PermissionDenied,
            ApiError::InvalidField {
                field: "meter.meter_no".into(),
                message: "already in use".into(),
            },
            ApiError::StaleVersion(String::new()),
            ApiError::StaleVersion(
                "account 3101000123 was changed by zhangmin at 2026-11-25 09:01:02 UTC since you opened it; reload it and make your change again".into(),
            ),
            ApiError::ApprovalRequired("arrears".into()),
            ApiError::Refused("the account is already closed".into()),
            ApiError::Unimplemented("payments history".into()),
            ApiError::File("/tmp/x.xlsx: permission denied".into()),
            ApiError::Other("boom".into()),
        ];
        for error in &errors {
            let zh = error_text(Language::SimplifiedChinese, error);
            let en = error_text(Language::English, error);
            assert!(!zh.headline.is_empty() && !en.headline.is_empty());
            assert_ne!(zh.headline, en.headline, "{error:?}");
        }
        assert_eq!(
            error_text(Language::SimplifiedChinese, &ApiError::BadCredentials).headline,
            "用户名或密码错误"
        );
        assert_eq!(
            error_text(Language::SimplifiedChinese, &ApiError::Disabled).headline,
            "账户已停用，请联系信息中心"
        );
        assert_eq!(
            error_text(
                Language::SimplifiedChinese,
                &ApiError::Unreachable("connection refused".into())
            )
            .detail
            .as_deref(),
            Some("connection refused")
        );
    }

    #[test]
    fn a_conflict_says_who_changed_the_record_and_when() {
        let message = "customer 王 at 芳 was changed by zhangmin at 2026-11-25 09:01:02 UTC since you opened it; reload it and make your change again";
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T09:01:02Z")
            .map(|at| local_date_time(at.with_timezone(&chrono::Utc)))
            .unwrap_or_default();
        assert_eq!(
            stale_changed_by(message),
            Some(("zhangmin".to_owned(), at.clone()))
        );
        let error = ApiError::StaleVersion(message.into());
        assert_eq!(
            error_text(Language::SimplifiedChinese, &error).headline,
            format!("该记录已被 zhangmin 于 {at} 修改")
        );
        assert_eq!(
            error_text(Language::English, &error).headline,
            format!("zhangmin changed this record at {at}")
        );

        // Without a change record the server names nobody.
        let anonymous = ApiError::StaleVersion(
            "account 3101000123 was changed since you opened it; reload it and make your change again"
                .into(),
        );
        assert_eq!(
            error_text(Language::SimplifiedChinese, &anonymous).headline,
            "该记录已被他人修改"
        );
        assert_eq!(
            stale_changed_by("x was changed by zhangmin at soon since you opened it"),
            Some(("zhangmin".to_owned(), "soon".to_owned())),
            "a time it cannot read is shown as written"
        );
    }

    #[test]
    fn roles_are_listed_per_language() {
        let roles = [Role::Cashier, Role::Supervisor];
        assert_eq!(
            role_list(Language::SimplifiedChinese, &roles),
            "收费员、值班主管"
        );
        assert_eq!(role_list(Language::English, &roles), "Cashier, Supervisor");
    }
}
