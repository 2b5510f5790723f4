//! Login, lockout, sessions and roles against a real server over TLS.

use diesel::{RunQueryDsl, connection::SimpleConnection, sql_query, sql_types::BigInt};
use gascis_common::{
    Role,
    proto::{
        LOCKED_UNTIL_METADATA_KEY,
        v1::{
            self as pb, auth_service_client::AuthServiceClient,
            system_service_client::SystemServiceClient, user_service_client::UserServiceClient,
        },
    },
};
use gascis_testkit::{ADMIN_PASSWORD, TestServer, authed, reason};
use tonic::Code;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn count_audit(server: &TestServer, kind: &str, username: &str) -> anyhow::Result<i64> {
    let mut connection = server.db.app()?;
    let rows: Vec<Count> = sql_query(format!(
        "SELECT count(*) AS count FROM audit_events WHERE kind = '{kind}' AND username = '{username}'"
    ))
    .load(&mut connection)?;
    Ok(rows.first().map_or(0, |row| row.count))
}

fn login_request(username: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
        client_name: "auth test".to_owned(),
    }
}

#[tokio::test]
async fn login_with_the_right_password_opens_a_session() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let mut auth = AuthServiceClient::new(server.channel().await?);
    // User names are case-insensitive.
    let reply = auth
        .login(login_request("WangFang", "cashier-pass-1"))
        .await?
        .into_inner();
    assert_eq!(reply.session_token.len(), 64, "256-bit hex token");
    let user = reply.user.unwrap_or_default();
    assert_eq!(user.display_name, "王芳");
    assert_eq!(user.roles, vec![pb::Role::Cashier as i32]);
    assert_eq!(reply.idle_timeout_seconds, 30 * 60);

    let me = auth
        .who_am_i(authed(pb::WhoAmIRequest {}, &reply.session_token))
        .await?
        .into_inner();
    assert_eq!(me.user.map(|u| u.username), Some("wangfang".to_owned()));
    assert_eq!(count_audit(&server, "login_succeeded", "wangfang")?, 1);

    // Only the hash of the token is stored.
    let mut connection = server.db.app()?;
    let stored: Vec<Count> = sql_query(format!(
        "SELECT count(*) AS count FROM sessions WHERE token_sha256 = decode('{}', 'hex')",
        reply.session_token
    ))
    .load(&mut connection)?;
    assert_eq!(stored.first().map(|c| c.count), Some(0));

    auth.logout(authed(pb::LogoutRequest {}, &reply.session_token))
        .await?;
    let after = auth
        .who_am_i(authed(pb::WhoAmIRequest {}, &reply.session_token))
        .await
        .err()
        .map(|status| (status.code(), reason(&status)));
    assert_eq!(
        after,
        Some((Code::Unauthenticated, "session_expired".to_owned()))
    );
    server.shutdown().await
}

#[tokio::test]
async fn a_session_in_use_stays_alive_without_a_write_per_call() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let token = server.login("admin", ADMIN_PASSWORD).await?;
    let mut auth = AuthServiceClient::new(server.channel().await?);
    #[derive(diesel::QueryableByName)]
    struct Seen {
        /// Seconds since the session was last seen, and the exact stamp.
        #[diesel(sql_type = diesel::sql_types::Double)]
        age: f64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        stamp: String,
    }
    let seen = || -> anyhow::Result<Seen> {
        Ok(sql_query(
            "SELECT extract(epoch FROM now() - last_seen_at)::float8 AS age, \
             last_seen_at::text AS stamp FROM sessions WHERE ended_at IS NULL",
        )
        .get_result(&mut server.db.app()?)?)
    };
    // Ten minutes idle of thirty: a call is let in and moves the session's
    // clock to now.
    server
        .db
        .owner()?
        .batch_execute("UPDATE sessions SET last_seen_at = now() - interval '10 minutes'")?;
    auth.who_am_i(authed(pb::WhoAmIRequest {}, &token)).await?;
    let touched = seen()?;
    assert!(touched.age < 5.0, "touched {} s ago", touched.age);
    // Calls right after are let in without writing the session again.
    for _ in 0..5 {
        auth.who_am_i(authed(pb::WhoAmIRequest {}, &token)).await?;
    }
    assert_eq!(seen()?.stamp, touched.stamp);
    // Past the touch interval (30 s of a 30-minute timeout) the next call
    // writes it again.
    server
        .db
        .owner()?
        .batch_execute("UPDATE sessions SET last_seen_at = now() - interval '31 seconds'")?;
    auth.who_am_i(authed(pb::WhoAmIRequest {}, &token)).await?;
    assert!(seen()?.age < 5.0);
    server.shutdown().await
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same_and_are_audited() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut auth = AuthServiceClient::new(server.channel().await?);
    let wrong = auth
        .login(login_request("admin", "not-the-password"))
        .await
        .err();
    let unknown = auth
        .login(login_request("nobody", "not-the-password"))
        .await
        .err();
    for status in [&wrong, &unknown] {
        let status = status
            .as_ref()
            .map(|s| (s.code(), reason(s), s.message().to_owned()));
        assert_eq!(
            status,
            Some((
                Code::Unauthenticated,
                "bad_credentials".to_owned(),
                "invalid user name or password".to_owned()
            ))
        );
    }
    assert_eq!(count_audit(&server, "login_failed", "admin")?, 1);
    assert_eq!(count_audit(&server, "login_failed", "nobody")?, 1);
    server.shutdown().await
}

#[tokio::test]
async fn five_failures_lock_the_user_even_against_the_right_password() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("lisi", "李四", "right-password", &[Role::BackOffice])
        .await?;
    let mut auth = AuthServiceClient::new(server.channel().await?);
    for attempt in 1..=4 {
        let status = auth
            .login(login_request("lisi", "wrong-password"))
            .await
            .err();
        assert_eq!(
            status.map(|s| reason(&s)),
            Some("bad_credentials".to_owned()),
            "attempt {attempt}"
        );
    }
    let fifth = auth
        .login(login_request("lisi", "wrong-password"))
        .await
        .err();
    let locked_until = fifth
        .as_ref()
        .and_then(|s| s.metadata().get(LOCKED_UNTIL_METADATA_KEY))
        .and_then(|v| v.to_str().ok())
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok());
    assert_eq!(
        fifth.as_ref().map(|s| (s.code(), reason(s))),
        Some((Code::PermissionDenied, "locked".to_owned()))
    );
    let minutes = locked_until
        .map(|until| (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes())
        .unwrap_or_default();
    assert!((14..=15).contains(&minutes), "locked for {minutes} min");

    let right = auth
        .login(login_request("lisi", "right-password"))
        .await
        .err();
    assert_eq!(right.map(|s| reason(&s)), Some("locked".to_owned()));
    assert_eq!(count_audit(&server, "user_locked", "lisi")?, 1);
    assert_eq!(count_audit(&server, "login_refused", "lisi")?, 1);

    // IT clears the lock by setting a new password.
    let admin = server.login("admin", ADMIN_PASSWORD).await?;
    let mut users = UserServiceClient::new(server.channel().await?);
    users
        .set_password(authed(
            pb::SetPasswordRequest {
                username: "lisi".to_owned(),
                new_password: "a-new-password".to_owned(),
            },
            &admin,
        ))
        .await?;
    assert!(
        auth.login(login_request("lisi", "a-new-password"))
            .await
            .is_ok()
    );
    server.shutdown().await
}

#[tokio::test]
async fn disabled_users_cannot_log_in_and_lose_their_sessions() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhaoliu", "赵六", "field-password", &[Role::Field])
        .await?;
    let token = server.login("zhaoliu", "field-password").await?;
    let admin = server.login("admin", ADMIN_PASSWORD).await?;
    let mut users = UserServiceClient::new(server.channel().await?);
    users
        .set_user_disabled(authed(
            pb::SetUserDisabledRequest {
                username: "zhaoliu".to_owned(),
                disabled: true,
            },
            &admin,
        ))
        .await?;
    let mut auth = AuthServiceClient::new(server.channel().await?);
    let refused = auth
        .login(login_request("zhaoliu", "field-password"))
        .await
        .err();
    assert_eq!(refused.map(|s| reason(&s)), Some("disabled".to_owned()));
    let old_session = auth
        .who_am_i(authed(pb::WhoAmIRequest {}, &token))
        .await
        .err();
    assert_eq!(old_session.map(|s| s.code()), Some(Code::Unauthenticated));
    server.shutdown().await
}

/// Every method of gascis.v1 and of reflection, called with raw bytes so
/// that the list follows the .proto files without editing this test.
fn all_methods() -> anyhow::Result<Vec<String>> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(gascis_common::proto::FILE_DESCRIPTOR_SET)?;
    let mut paths = Vec::new();
    for file in set.file.iter().filter(|f| f.package() == "gascis.v1") {
        for service in &file.service {
            for method in &service.method {
                paths.push(format!("/gascis.v1.{}/{}", service.name(), method.name()));
            }
        }
    }
    paths.push("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo".to_owned());
    Ok(paths)
}

async fn raw_call(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<Result<(), tonic::Status>> {
    let mut grpc = tonic::client::Grpc::new(server.channel().await?);
    grpc.ready().await?;
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let request = match token {
        Some(token) => authed((), token),
        None => tonic::Request::new(()),
    };
    let path = http::uri::PathAndQuery::try_from(path)?;
    Ok(grpc.unary(request, path, codec).await.map(|_| ()))
}

#[tokio::test]
async fn every_rpc_but_login_refuses_a_missing_or_expired_token() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let expired = server.login("admin", ADMIN_PASSWORD).await?;
    // Age the session past its idle timeout.
    server
        .db
        .owner()?
        .batch_execute("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")?;
    let absolute = server.login("admin", ADMIN_PASSWORD).await?;
    server.db.owner()?.batch_execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE last_seen_at > now() - interval '1 minute'",
    )?;
    let methods = all_methods()?;
    assert!(methods.len() >= 9, "{methods:?}");
    for path in &methods {
        if path.ends_with("/Login") {
            continue;
        }
        for (label, token) in [
            ("missing", None),
            ("garbage", Some("0123")),
            ("idle-expired", Some(expired.as_str())),
            ("absolutely expired", Some(absolute.as_str())),
        ] {
            let outcome = raw_call(&server, path, token).await?;
            let status = outcome.err();
            assert_eq!(
                status.as_ref().map(|s| s.code()),
                Some(Code::Unauthenticated),
                "{path} with a {label} token: {status:?}"
            );
        }
    }
    // Health stays public for load balancers and `status`.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await?);
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await?
        .into_inner()
        .status();
    assert_eq!(
        serving,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    server.shutdown().await
}

#[tokio::test]
async fn a_role_denied_call_is_refused_and_audited() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("cashier1", "收费员一", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let token = server.login("cashier1", "cashier-pass-1").await?;
    let mut users = UserServiceClient::new(server.channel().await?);
    let denied = users
        .create_user(authed(
            pb::CreateUserRequest {
                username: "intruder".to_owned(),
                display_name: "x".to_owned(),
                roles: vec![pb::Role::Admin as i32],
                password: "whatever-123".to_owned(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(
        denied.as_ref().map(|s| (s.code(), reason(s))),
        Some((Code::PermissionDenied, "role_denied".to_owned()))
    );
    assert_eq!(count_audit(&server, "call_denied", "cashier1")?, 1);
    let mut connection = server.db.app()?;
    let created: Vec<Count> =
        sql_query("SELECT count(*) AS count FROM users WHERE username = 'intruder'")
            .load(&mut connection)?;
    assert_eq!(created.first().map(|c| c.count), Some(0));

    // The same cashier may call what every role may.
    let mut system = SystemServiceClient::new(server.channel().await?);
    let info = system
        .get_server_info(authed(pb::GetServerInfoRequest {}, &token))
        .await?
        .into_inner();
    assert_eq!(info.company_name, "测试燃气公司");
    assert!(
        info.schema_version.starts_with("2026"),
        "{}",
        info.schema_version
    );

    // And the audit log is readable by the admin through the API.
    let admin = server.login("admin", ADMIN_PASSWORD).await?;
    let events = system
        .list_audit_events(authed(
            pb::ListAuditEventsRequest {
                kind: "call_denied".to_owned(),
                ..Default::default()
            },
            &admin,
        ))
        .await?
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].rpc, "/gascis.v1.UserService/CreateUser");
    server.shutdown().await
}

#[tokio::test]
async fn bad_user_input_names_the_field() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.login("admin", ADMIN_PASSWORD).await?;
    let mut users = UserServiceClient::new(server.channel().await?);
    let cases = [
        (
            "Bad Name",
            vec![pb::Role::Cashier as i32],
            "long-enough-1",
            "username",
        ),
        ("okname", vec![], "long-enough-1", "roles"),
        ("okname", vec![0], "long-enough-1", "roles"),
        (
            "okname",
            vec![pb::Role::Cashier as i32],
            "short",
            "password",
        ),
    ];
    for (username, roles, password, field) in cases {
        let status = users
            .create_user(authed(
                pb::CreateUserRequest {
                    username: username.to_owned(),
                    display_name: "名字".to_owned(),
                    roles,
                    password: password.to_owned(),
                },
                &admin,
            ))
            .await
            .err();
        assert_eq!(
            status.as_ref().map(|s| s.code()),
            Some(Code::InvalidArgument)
        );
        let message = status.map(|s| s.message().to_owned()).unwrap_or_default();
        assert!(message.starts_with(field), "{field}: {message}");
    }
    let duplicate = users
        .create_user(authed(
            pb::CreateUserRequest {
                username: "admin".to_owned(),
                display_name: "again".to_owned(),
                roles: vec![pb::Role::Admin as i32],
                password: "long-enough-1".to_owned(),
            },
            &admin,
        ))
        .await
        .err();
    assert_eq!(duplicate.map(|s| s.code()), Some(Code::AlreadyExists));
    server.shutdown().await
}
