//! The one place where sessions are checked: a tower layer in front of every
//! gRPC service. It resolves the bearer token to a [`Caller`], checks the
//! RPC's [`policy`](super::policy), audits refusals and puts the caller into
//! the request's extensions for the handlers.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use gascis_common::proto::reason;
use tonic::{
    Status,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};
use tower::{Layer, Service};

use super::{
    AuthSettings, Caller,
    audit::{self, NewAuditEvent, kind},
    policy::{self, Access},
    session,
};
use crate::{db::PgPool, error::Error};

pub struct AuthState {
    pub pool: PgPool,
    pub settings: AuthSettings,
}

#[derive(Clone)]
pub struct AuthLayer {
    state: Arc<AuthState>,
}

impl AuthLayer {
    pub fn new(state: Arc<AuthState>) -> Self {
        AuthLayer { state }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthMiddleware<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthMiddleware {
            inner,
            state: Arc::clone(&self.state),
        }
    }
}

#[derive(Clone)]
pub struct AuthMiddleware<S> {
    inner: S,
    state: Arc<AuthState>,
}

fn peer_of<B>(request: &http::Request<B>) -> String {
    let extensions = request.extensions();
    extensions
        .get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(|info| info.get_ref().remote_addr())
        .or_else(|| {
            extensions
                .get::<TcpConnectInfo>()
                .and_then(TcpConnectInfo::remote_addr)
        })
        .map(|address| address.to_string())
        .unwrap_or_default()
}

fn bearer_token<B>(request: &http::Request<B>) -> Option<String> {
    let value = request.headers().get("authorization")?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

async fn check(
    state: Arc<AuthState>,
    path: String,
    token: Option<String>,
    peer: String,
    access: Access,
) -> Result<Caller, Status> {
    let Some(token) = token else {
        return Err(Error::Unauthenticated {
            reason: reason::NO_TOKEN,
            message: "no session token; log in first".to_owned(),
        }
        .into());
    };
    let outcome = tokio::task::spawn_blocking(move || -> Result<Caller, Error> {
        let mut connection = state
            .pool
            .get()
            .map_err(|error| Error::Database(crate::db::DbError::Connect(error.to_string())))?;
        let caller = session::authenticate(&mut connection, &state.settings, &token, &peer)?;
        if access.allows(&caller.roles) {
            return Ok(caller);
        }
        let roles: Vec<&str> = caller.roles.iter().map(|role| role.as_str()).collect();
        audit::record(
            &mut connection,
            NewAuditEvent {
                kind: kind::CALL_DENIED,
                username: &caller.username,
                user_id: Some(caller.user_id),
                rpc: &path,
                detail: &format!("roles {}", roles.join(",")),
                peer: &peer,
            },
        )?;
        Err(Error::RoleDenied(format!(
            "{path} is not allowed for roles {}",
            roles.join(", ")
        )))
    })
    .await
    .map_err(|error| Status::internal(format!("auth task failed: {error}")))?;
    outcome.map_err(Status::from)
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for AuthMiddleware<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this call (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let access = policy::access(&path);
            if access == Access::Public {
                return inner.call(request).await;
            }
            let token = bearer_token(&request);
            let peer = peer_of(&request);
            match check(state, path, token, peer, access).await {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}
