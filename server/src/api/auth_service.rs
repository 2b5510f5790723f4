use gascis_common::proto::v1::{self as pb, auth_service_server::AuthService};
use tonic::{Request, Response, Status};

use super::{SharedState, timestamp, with_connection};
use crate::auth::{
    Caller,
    session::{self, LoginAttempt},
    users,
};

pub struct AuthApi {
    pub state: SharedState,
}

fn peer_of<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map(|address| address.to_string())
        .unwrap_or_default()
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let peer = peer_of(&request);
        let pb::LoginRequest {
            username,
            password,
            client_name,
        } = request.into_inner();
        let settings = self.state.auth;
        let login = with_connection(&self.state, move |connection| {
            session::login(
                connection,
                &settings,
                &LoginAttempt {
                    username: &username,
                    password: &password,
                    client_name: &client_name,
                    peer: &peer,
                },
            )
        })
        .await?;
        Ok(Response::new(pb::LoginResponse {
            session_token: login.token,
            user: Some(pb::User::from(&login.user)),
            idle_timeout_seconds: settings.idle_timeout.num_seconds(),
            expires_at: Some(timestamp(login.expires_at)),
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        with_connection(&self.state, move |connection| {
            session::logout(connection, &caller)
        })
        .await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let username = caller.username.clone();
        let user = with_connection(&self.state, move |connection| {
            users::find(connection, &username)
        })
        .await?
        .ok_or_else(|| Status::unauthenticated("user no longer exists"))?;
        Ok(Response::new(pb::WhoAmIResponse {
            user: Some(pb::User::from(&user)),
            expires_at: Some(timestamp(caller.expires_at)),
        }))
    }
}
