use gascis_common::{
    Role,
    proto::v1::{self as pb, user_service_server::UserService},
};
use tonic::{Request, Response, Status};

use super::{SharedState, with_connection};
use crate::{
    auth::{
        Caller,
        users::{self, Actor},
    },
    error::Error,
};

pub struct UserApi {
    pub state: SharedState,
}

fn roles_from_wire(values: &[i32]) -> Result<Vec<Role>, Error> {
    values
        .iter()
        .map(|value| {
            Role::try_from(*value).map_err(|error| Error::invalid("roles", error.to_string()))
        })
        .collect()
}

/// The caller as the actor of an administrative change.
struct OwnedActor {
    username: String,
    user_id: i64,
    peer: String,
}

impl OwnedActor {
    fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        let caller = Caller::of(request)?;
        Ok(OwnedActor {
            username: caller.username.clone(),
            user_id: caller.user_id,
            peer: caller.peer.clone(),
        })
    }

    fn actor(&self) -> Actor<'_> {
        Actor {
            username: &self.username,
            user_id: Some(self.user_id),
            peer: &self.peer,
        }
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    async fn list_users(
        &self,
        _request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let list = with_connection(&self.state, users::list).await?;
        Ok(Response::new(pb::ListUsersResponse {
            users: list.iter().map(pb::User::from).collect(),
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        let actor = OwnedActor::of(&request)?;
        let input = request.into_inner();
        let roles = roles_from_wire(&input.roles)?;
        let user = with_connection(&self.state, move |connection| {
            users::create(
                connection,
                actor.actor(),
                &input.username,
                &input.display_name,
                &roles,
                &input.password,
            )
        })
        .await?;
        Ok(Response::new(pb::CreateUserResponse {
            user: Some(pb::User::from(&user)),
        }))
    }

    async fn set_password(
        &self,
        request: Request<pb::SetPasswordRequest>,
    ) -> Result<Response<pb::SetPasswordResponse>, Status> {
        let actor = OwnedActor::of(&request)?;
        let input = request.into_inner();
        with_connection(&self.state, move |connection| {
            users::set_password(
                connection,
                actor.actor(),
                &input.username,
                &input.new_password,
            )
        })
        .await?;
        Ok(Response::new(pb::SetPasswordResponse {}))
    }

    async fn set_user_disabled(
        &self,
        request: Request<pb::SetUserDisabledRequest>,
    ) -> Result<Response<pb::SetUserDisabledResponse>, Status> {
        let actor = OwnedActor::of(&request)?;
        let input = request.into_inner();
        if input.disabled && input.username == actor.username {
            return Err(Error::invalid("username", "you cannot disable yourself").into());
        }
        let user = with_connection(&self.state, move |connection| {
            users::set_disabled(connection, actor.actor(), &input.username, input.disabled)
        })
        .await?;
        Ok(Response::new(pb::SetUserDisabledResponse {
            user: Some(pb::User::from(&user)),
        }))
    }
}
