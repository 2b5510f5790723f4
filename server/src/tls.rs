//! The company's own certificate authority and the server certificate,
//! generated in Rust (rcgen) so installation needs no openssl command.

use std::net::IpAddr;

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("'{0}' is not a valid host name for a certificate")]
    HostName(String),
    #[error("'{0}' is not an IP address")]
    IpAddress(String),
}

/// PEM texts of a CA or a leaf certificate and its private key.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    pub certificate_pem: String,
    pub key_pem: String,
}

fn date_in_days(days: i64) -> time::OffsetDateTime {
    let today = chrono::Utc::now().date_naive();
    let date = if days >= 0 {
        today + chrono::Days::new(days.unsigned_abs())
    } else {
        today - chrono::Days::new(days.unsigned_abs())
    };
    rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8)
}

/// A new CA valid for 20 years, named after the company.
pub fn generate_ca(company_name: &str) -> Result<CertifiedKey, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{company_name} gascis CA"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, company_name.to_owned());
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_in_days(-1);
    params.not_after = date_in_days(20 * 365);
    let key = KeyPair::generate()?;
    let certificate = params.self_signed(&key)?;
    Ok(CertifiedKey {
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A server certificate for the given names and addresses, signed by `ca`.
pub fn generate_server_certificate(
    ca: &CertifiedKey,
    hostnames: &[String],
    ip_addresses: &[String],
    valid_days: u32,
) -> Result<CertifiedKey, TlsError> {
    let ca_key = KeyPair::from_pem(&ca.key_pem)?;
    let issuer = Issuer::from_ca_cert_pem(&ca.certificate_pem, ca_key)?;

    let mut params = CertificateParams::new(Vec::<String>::new())?;
    for name in hostnames {
        let dns = name
            .as_str()
            .try_into()
            .map_err(|_| TlsError::HostName(name.clone()))?;
        params.subject_alt_names.push(SanType::DnsName(dns));
    }
    for ip in ip_addresses {
        let address: IpAddr = ip.parse().map_err(|_| TlsError::IpAddress(ip.clone()))?;
        params.subject_alt_names.push(SanType::IpAddress(address));
    }
    let common_name = hostnames
        .first()
        .cloned()
        .or_else(|| ip_addresses.first().cloned())
        .unwrap_or_else(|| "gascis-server".to_owned());
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = date_in_days(-1);
    params.not_after = date_in_days(i64::from(valid_days));
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, &issuer)?;
    Ok(CertifiedKey {
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    })
}
