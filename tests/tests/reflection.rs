//! Generic gRPC tools can list the services through reflection.

use gascis_testkit::{ADMIN_PASSWORD, TestServer, authed};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test]
async fn reflection_lists_the_gascis_services() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let token = server.login("admin", ADMIN_PASSWORD).await?;
    let mut client = ServerReflectionClient::new(server.channel().await?);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(authed(tokio_stream::iter(vec![request]), &token))
        .await?
        .into_inner();
    let mut names = Vec::new();
    while let Some(reply) = stream.message().await? {
        if let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response {
            names.extend(list.service.into_iter().map(|s| s.name));
        }
    }
    for expected in [
        "gascis.v1.AuthService",
        "gascis.v1.SystemService",
        "gascis.v1.UserService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    server.shutdown().await
}
