//! `api::connect` against real sockets on 127.0.0.1: a closed port, and a TLS
//! listener whose certificate comes from the wrong CA or names the wrong host.
//! These check the error classification on the errors tonic and rustls really
//! produce, not on hand-built ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use gascis::api::{self, ApiError};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn write_pem(&self, directory: &tempfile::TempDir) -> PathBuf {
        let path = directory.path().join("ca.pem");
        std::fs::write(&path, self.issuer.pem()).unwrap();
        path
    }

    /// A server certificate and key for `host`, signed by this CA.
    fn server_identity(
        &self,
        host: &str,
    ) -> (
        rustls::pki_types::CertificateDer<'static>,
        PrivateKeyDer<'static>,
    ) {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![host.to_owned()]).unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (certificate.der().clone(), key)
    }
}

/// Accepts TLS connections on 127.0.0.1 with the given identity until the
/// test process ends; returns the port. Plain threads and blocking rustls:
/// the handshake is all these tests need from a server.
fn tls_listener(
    certificate: rustls::pki_types::CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let config = Arc::new(config);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(mut connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::Stream::new(&mut connection, &mut stream);
                let mut buffer = [0u8; 1024];
                // Handshake, then read until the client goes away.
                while matches!(tls.read(&mut buffer), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let directory = tempfile::tempdir().unwrap();
    let ca_path = Ca::new("gascis test CA").write_pem(&directory);
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };

    let result = api::connect(&format!("127.0.0.1:{port}"), &ca_path).await;

    assert!(
        matches!(result, Err(ApiError::Unreachable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn certificate_from_another_ca_is_not_trusted() {
    let directory = tempfile::tempdir().unwrap();
    let trusted = Ca::new("our CA");
    let stranger = Ca::new("someone else's CA");
    let ca_path = trusted.write_pem(&directory);
    let (certificate, key) = stranger.server_identity("localhost");
    let port = tls_listener(certificate, key);

    let result = api::connect(&format!("localhost:{port}"), &ca_path).await;

    match result {
        Err(ApiError::CertificateNotTrusted(detail)) => {
            assert!(detail.contains("UnknownIssuer"), "{detail}");
        }
        other => panic!("expected CertificateNotTrusted, got {other:?}"),
    }
}

#[tokio::test]
async fn certificate_for_another_host_is_not_trusted() {
    let directory = tempfile::tempdir().unwrap();
    let ca = Ca::new("our CA");
    let ca_path = ca.write_pem(&directory);
    let (certificate, key) = ca.server_identity("gas.example.cn");
    let port = tls_listener(certificate, key);

    let result = api::connect(&format!("https://localhost:{port}"), &ca_path).await;

    assert!(
        matches!(result, Err(ApiError::CertificateNotTrusted(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn certificate_from_our_ca_for_the_right_host_connects() {
    let directory = tempfile::tempdir().unwrap();
    let ca = Ca::new("our CA");
    let ca_path = ca.write_pem(&directory);
    let (certificate, key) = ca.server_identity("localhost");
    let port = tls_listener(certificate, key);

    let connection = api::connect(&format!("localhost:{port}"), &ca_path)
        .await
        .expect("the handshake with a certificate of our CA succeeds");

    assert_eq!(
        connection.address().to_string(),
        format!("localhost:{port}")
    );
}
