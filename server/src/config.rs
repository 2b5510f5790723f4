//! `gascis.toml`: the server's configuration. Every key has a default, so an
//! empty file is a valid configuration; `init` writes a commented copy of the
//! defaults for IT to edit.

use std::{net::SocketAddr, path::Path};

use serde::{Deserialize, Serialize};

/// File name of the configuration inside the data dir.
pub const CONFIG_FILE: &str = "gascis.toml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub session: SessionConfig,
    pub security: SecurityConfig,
    pub database: DatabaseConfig,
    pub postgres: PostgresConfig,
    pub tls: TlsConfig,
    pub billing: crate::billing::run::Settings,
    pub counter: crate::counter::Settings,
    pub notices: crate::notices::Settings,
    pub jobs: crate::jobs::Settings,
    pub invoices: crate::invoices::Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub company_name: String,
    pub shutdown_grace_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub idle_timeout_minutes: u32,
    pub absolute_timeout_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub max_failed_logins: u32,
    pub lockout_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub migration_url: String,
    pub pool_size: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    pub system_user: String,
    pub port: u16,
    pub listen_addresses: String,
    pub shared_buffers: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub hostnames: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub certificate_valid_days: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 50443)),
            company_name: "燃气有限公司".to_owned(),
            shutdown_grace_seconds: 10,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            max_failed_logins: 5,
            lockout_minutes: 15,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            migration_url: String::new(),
            pool_size: 16,
        }
    }
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            system_user: "gascis".to_owned(),
            port: 5432,
            listen_addresses: String::new(),
            shared_buffers: "256MB".to_owned(),
            max_connections: 100,
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            hostnames: vec!["localhost".to_owned()],
            ip_addresses: vec!["127.0.0.1".to_owned(), "::1".to_owned()],
            certificate_valid_days: 825,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid gascis configuration: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: origin.to_owned(),
            // toml's message names the line, column and key; keep it on one line.
            message: error.to_string().replace('\n', " ").trim().to_owned(),
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |message: &str| ConfigError::Invalid {
            path: origin.to_owned(),
            message: message.to_owned(),
        };
        if self.session.idle_timeout_minutes == 0 || self.session.absolute_timeout_hours == 0 {
            return Err(invalid("session timeouts must be at least 1"));
        }
        if self.security.max_failed_logins == 0 {
            return Err(invalid("security.max_failed_logins must be at least 1"));
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size must be at least 1"));
        }
        if self.database.url.is_empty() && !self.database.migration_url.is_empty() {
            return Err(invalid(
                "database.migration_url is only used with database.url (an external PostgreSQL)",
            ));
        }
        self.notices
            .validate()
            .map_err(|message| invalid(&message))?;
        if self.tls.hostnames.is_empty() && self.tls.ip_addresses.is_empty() {
            return Err(invalid("tls needs at least one host name or IP address"));
        }
        let seller_tax_id = self.invoices.seller_tax_id.trim();
        if !seller_tax_id.is_empty()
            && let Err(error) =
                gascis_common::tax_id::validate_unified_social_credit_code(seller_tax_id)
        {
            return Err(invalid(&format!("invoices.seller_tax_id: {error}")));
        }
        for ip in &self.tls.ip_addresses {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err(invalid(&format!(
                    "tls.ip_addresses: '{ip}' is not an IP address"
                )));
            }
        }
        Ok(())
    }

    /// Whether the server runs its own PostgreSQL cluster in the data dir.
    pub fn uses_managed_cluster(&self) -> bool {
        self.database.url.is_empty()
    }

    /// The documented configuration file that `init` writes.
    pub fn documented_toml(&self) -> String {
        let quote = |items: &[String]| {
            items
                .iter()
                .map(|item| format!("\"{item}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            r#"# gascis-server configuration.
# Every key is optional: a missing key takes the default shown in its comment.
# After editing, restart the service (systemctl restart gascis-server).

[server]
# Address and port of the gRPC endpoint (TLS only). Default "0.0.0.0:50443".
listen = "{listen}"
# Company name shown in the client's title bar and printed on receipts.
company_name = "{company}"
# On SIGTERM / Ctrl-C, requests in flight get this long to finish. Default 10.
shutdown_grace_seconds = {grace}

[session]
# A session ends after this many minutes without a call. Default 30.
idle_timeout_minutes = {idle}
# A session ends this many hours after login whatever the activity. Default 12.
absolute_timeout_hours = {absolute}

[security]
# Failed logins in a row that lock a user. Default 5.
max_failed_logins = {max_failed}
# How long a locked user stays locked. Default 15.
lockout_minutes = {lockout}

[database]
# Empty (the default): the server runs its own PostgreSQL cluster in
# DATA_DIR/postgres and connects over a unix socket in DATA_DIR/run.
# Set to use an external PostgreSQL instead, e.g.
#   url = "postgresql://gascis_app:secret@db.example.local/gascis"
# The role in `url` should be the restricted application role gascis_app.
url = "{url}"
# Connection used to apply migrations on an external PostgreSQL (the owner of
# the schema). Empty: use `url`.
migration_url = "{migration_url}"
# Connections kept open for requests. Default 16.
pool_size = {pool}

[postgres]
# Settings of the private cluster (unused with database.url).
# Unprivileged system user that owns and runs the cluster when gascis-server
# is started as root; created by `init` if missing. Default "gascis".
system_user = "{system_user}"
# Port of the cluster (its socket is DATA_DIR/run/.s.PGSQL.PORT). Default 5432.
port = {port}
# TCP addresses PostgreSQL listens on. Empty (the default): no TCP at all,
# only the unix socket inside the data dir.
listen_addresses = "{listen_addresses}"
# Memory for PostgreSQL's buffer cache. Default "256MB".
shared_buffers = "{shared_buffers}"
# Default 100.
max_connections = {max_connections}

[tls]
# Names and addresses the server certificate is valid for. Clients must
# connect using one of them. Changing them needs new certificates:
# `gascis-server tls renew --data-dir DIR`.
hostnames = [{hostnames}]
ip_addresses = [{ips}]
# Lifetime of the server certificate. Default 825.
certificate_valid_days = {valid_days}

[billing]
# Accounts billed per transaction by a billing run. Default 2000.
chunk_size = {chunk_size}
# Days from the end of a billing period to the bills' due date. Default 15.
due_days = {due_days}

[billing.readings]
# A reading whose daily consumption is above this many times the average of
# the last three valid periods (or below average / factor) waits for review.
spike_factor = "{spike_factor}"
# Spikes and drops count only from this many m³ up.
min_volume = "{min_volume}"
# This many zero-consumption periods in a row wait for review.
zero_periods = {zero_periods}

[counter]
# What a payment settles first on an overdue bill: "late_fee_first" (the
# default) or "principal_first". Older bills are always settled first.
allocation = "{allocation}"
# How long to wait for WeChat/Alipay to answer a scanned payment before its
# outcome is recorded as unknown (and reconciled later). Default 15000.
gateway_timeout_ms = {gateway_timeout_ms}
# Signed channel notifications older than this are refused. Default 600.
notification_max_age_seconds = {notification_max_age}

[invoices]
# The seller as printed on invoices (its name is server.company_name):
# taxpayer id (统一社会信用代码), address and phone, bank and account.
seller_tax_id = "{seller_tax_id}"
seller_address_phone = "{seller_address_phone}"
seller_bank_account = "{seller_bank_account}"
# How long to wait for the invoicing platform before an invoice's outcome is
# recorded as unknown (and queried later). Default 15000.
platform_timeout_ms = {platform_timeout_ms}

[notices]
# Bill notices (账单/欠费提醒) to customers' mobile phones. "off" (the
# default): none are queued or sent. "simulated": messages are recorded and
# logged but never leave the server (demo, training). A provider (an SMS
# platform, WeChat template messages) is an adapter of its own.
sender = "{notice_sender}"
# "sms" (the default) or "wechat".
channel = "{notice_channel}"
# SMS signature shown as 【…】; empty: the company name.
signature = "{notice_signature}"
# Bills whose period ended at most this many days ago are announced. Default 31.
new_bill_days = {new_bill_days}
# Remind of arrears once a bill is this many days past due (default 7), and
# then at most once every arrears_repeat_days (default 30).
arrears_after_days = {arrears_after_days}
arrears_repeat_days = {arrears_repeat_days}
# Tries of one message the provider refused. Default 3.
max_attempts = {max_attempts}

[jobs]
# Minutes between rounds of the scheduled jobs (IoT charges and valves, bill
# notices). 0 turns them off; `gascis-server jobs run` runs one round by hand.
# With several servers on one database each round runs on one of them.
# Default 60.
interval_minutes = {jobs_interval}
# Valve commands of IoT meters: "off" (the default: charges only, no valve
# commands) or "simulated" (demo, training). A real gateway is an adapter.
iot_gateway = "{iot_gateway}"
# Days an IoT account may stay below zero before its valve closes. Default 3.
valve_grace_days = {valve_grace_days}
"#,
            seller_tax_id = self.invoices.seller_tax_id.replace('"', "\\\""),
            seller_address_phone = self.invoices.seller_address_phone.replace('"', "\\\""),
            seller_bank_account = self.invoices.seller_bank_account.replace('"', "\\\""),
            platform_timeout_ms = self.invoices.platform_timeout_ms,
            notice_sender = match self.notices.sender {
                crate::notices::SenderKind::Off => "off",
                crate::notices::SenderKind::Simulated => "simulated",
            },
            notice_channel = self.notices.channel.as_str(),
            notice_signature = self.notices.signature.replace('"', "\\\""),
            new_bill_days = self.notices.new_bill_days,
            arrears_after_days = self.notices.arrears_after_days,
            arrears_repeat_days = self.notices.arrears_repeat_days,
            max_attempts = self.notices.max_attempts,
            jobs_interval = self.jobs.interval_minutes,
            iot_gateway = match self.jobs.iot_gateway {
                crate::jobs::IotGateway::Off => "off",
                crate::jobs::IotGateway::Simulated => "simulated",
            },
            valve_grace_days = self.jobs.valve_grace_days,
            allocation = match self.counter.allocation {
                crate::counter::AllocationOrder::LateFeeFirst => "late_fee_first",
                crate::counter::AllocationOrder::PrincipalFirst => "principal_first",
            },
            gateway_timeout_ms = self.counter.gateway_timeout_ms,
            notification_max_age = self.counter.notification_max_age_seconds,
            chunk_size = self.billing.chunk_size,
            due_days = self.billing.due_days,
            spike_factor = self.billing.readings.spike_factor,
            min_volume = self.billing.readings.min_volume,
            zero_periods = self.billing.readings.zero_periods,
            listen = self.server.listen,
            company = self.server.company_name.replace('"', "\\\""),
            grace = self.server.shutdown_grace_seconds,
            idle = self.session.idle_timeout_minutes,
            absolute = self.session.absolute_timeout_hours,
            max_failed = self.security.max_failed_logins,
            lockout = self.security.lockout_minutes,
            url = self.database.url,
            migration_url = self.database.migration_url,
            pool = self.database.pool_size,
            system_user = self.postgres.system_user,
            port = self.postgres.port,
            listen_addresses = self.postgres.listen_addresses,
            shared_buffers = self.postgres.shared_buffers,
            max_connections = self.postgres.max_connections,
            hostnames = quote(&self.tls.hostnames),
            ips = quote(&self.tls.ip_addresses),
            valid_days = self.tls.certificate_valid_days,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::parse("", "t").ok(), Some(Config::default()));
    }

    #[test]
    fn documented_file_parses_back_to_the_same_config() {
        let mut config = Config::default();
        config.server.company_name = "某市\"燃气\"公司".to_owned();
        config.tls.hostnames.push("cis.example.local".to_owned());
        let parsed = Config::parse(&config.documented_toml(), "t");
        assert_eq!(parsed.ok(), Some(config));
    }

    #[test]
    fn corrupt_or_unknown_keys_are_refused_with_the_place() {
        let error = Config::parse("[server]\nlisten = 5", "gascis.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("gascis.toml"), "{error}");
        assert!(error.contains("listen"), "{error}");
        assert!(Config::parse("[server]\nlistn = \"x\"", "t").is_err());
        assert!(Config::parse("[tls]\nip_addresses = [\"nope\"]", "t").is_err());
        let error = Config::parse("[invoices]\nseller_tax_id = \"91110000100005220C\"", "t")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("invoices.seller_tax_id"), "{error}");
        assert!(Config::parse("[invoices]\nseller_tax_id = \"91110000100005220B\"", "t").is_ok());
    }
}
