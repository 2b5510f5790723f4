//! A TLS gRPC channel to a gascis server, for `status` and for tests.

use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// Connects to `address` ("host:port") trusting only `ca_pem`. `domain`
/// overrides the name checked against the certificate.
pub async fn channel(address: &str, ca_pem: &str, domain: Option<&str>) -> anyhow::Result<Channel> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca_pem));
    if let Some(domain) = domain {
        tls = tls.domain_name(domain);
    }
    let endpoint = Endpoint::from_shared(format!("https://{address}"))?
        .connect_timeout(Duration::from_secs(5))
        .tls_config(tls)?;
    Ok(endpoint.connect().await?)
}
