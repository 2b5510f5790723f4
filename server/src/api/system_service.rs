use gascis_common::proto::v1::{self as pb, system_service_server::SystemService};
use tonic::{Request, Response, Status};

use super::{SharedState, timestamp, with_connection};
use crate::{auth::audit, db};

pub struct SystemApi {
    pub state: SharedState,
}

#[tonic::async_trait]
impl SystemService for SystemApi {
    async fn get_server_info(
        &self,
        _request: Request<pb::GetServerInfoRequest>,
    ) -> Result<Response<pb::ServerInfo>, Status> {
        let schema_version = with_connection(&self.state, |connection| {
            Ok(db::schema_version(connection)?)
        })
        .await?;
        Ok(Response::new(pb::ServerInfo {
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version,
            company_name: self.state.config.server.company_name.clone(),
            server_time: Some(timestamp(chrono::Utc::now())),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let query = request.into_inner();
        let limit = match query.limit {
            0 => 100,
            n if n < 0 => {
                return Err(Status::invalid_argument("limit: must not be negative"));
            }
            n => i64::from(n.min(1000)),
        };
        let before = (query.before_id > 0).then_some(query.before_id);
        let kind = (!query.kind.is_empty()).then_some(query.kind);
        let events = with_connection(&self.state, move |connection| {
            audit::list(connection, limit, before, kind.as_deref())
        })
        .await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: events
                .into_iter()
                .map(|event| pb::AuditEvent {
                    id: event.id,
                    at: Some(timestamp(event.at)),
                    kind: event.kind,
                    username: event.username,
                    rpc: event.rpc,
                    detail: event.detail,
                    peer: event.peer,
                })
                .collect(),
        }))
    }
}
