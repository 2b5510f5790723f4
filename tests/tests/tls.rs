//! The server speaks TLS only, and clients trust only the company's CA.

use gascis_common::proto::v1::{self as pb, auth_service_client::AuthServiceClient};
use gascis_testkit::{ADMIN_PASSWORD, TestServer};

#[tokio::test]
async fn a_client_with_an_unknown_ca_is_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let stranger = gascis_server::tls::generate_ca("别的公司")?;
    let outcome =
        gascis_server::client::channel(&server.endpoint(), &stranger.certificate_pem, None).await;
    let error = match outcome {
        Ok(channel) => {
            // Connection may be lazy on some paths: the first call must fail.
            let mut auth = AuthServiceClient::new(channel);
            auth.login(pb::LoginRequest {
                username: "admin".to_owned(),
                password: ADMIN_PASSWORD.to_owned(),
                client_name: String::new(),
            })
            .await
            .err()
            .map(|status| format!("{status:?}"))
        }
        Err(error) => Some(format!("{error:?}")),
    };
    let text = error.unwrap_or_default();
    assert!(
        text.contains("UnknownIssuer") || text.contains("certificate"),
        "expected a certificate error, got {text}"
    );
    server.shutdown().await
}

#[tokio::test]
async fn plaintext_grpc_gets_no_service() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address))?
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(3))
        .connect()
        .await;
    if let Ok(channel) = channel {
        let mut auth = AuthServiceClient::new(channel);
        let outcome = auth
            .login(pb::LoginRequest {
                username: "admin".to_owned(),
                password: ADMIN_PASSWORD.to_owned(),
                client_name: String::new(),
            })
            .await;
        assert!(outcome.is_err(), "plaintext login must fail");
    }
    server.shutdown().await
}

#[tokio::test]
async fn the_right_ca_and_name_connect() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    // By name and by IP: the certificate carries both.
    let token = server.login("admin", ADMIN_PASSWORD).await?;
    assert!(!token.is_empty());
    let by_ip =
        gascis_server::client::channel(&server.address.to_string(), &server.ca_pem, None).await;
    assert!(by_ip.is_ok(), "{:?}", by_ip.err());
    server.shutdown().await
}
