//! Tariffs (气价方案): the tariff calls of `gascis.v1.BillingService`.
//!
//! The documents travel as TOML (docs/tariff-format.md); the screen reads
//! them with `gascis_common::tariff::Tariff::from_toml` and writes them with
//! `to_toml`, so what it shows and checks is what the server stores.

use gascis_common::proto::v1 as pb;
use pb::billing_service_client::BillingServiceClient;
use tonic::transport::Channel;

use super::{ApiError, Session, authorized, classify_status};

fn client(session: &Session) -> BillingServiceClient<Channel> {
    BillingServiceClient::new(session.connection.channel.clone())
}

/// Every tariff with its latest published revision, by code.
pub async fn list_tariffs(session: Session) -> Result<Vec<pb::TariffSummary>, ApiError> {
    Ok(client(&session)
        .list_tariffs(authorized(&session, pb::ListTariffsRequest {})?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .tariffs)
}

/// One tariff's document: the latest published revision, or the draft.
pub async fn get_tariff(
    session: Session,
    code: String,
    draft: bool,
) -> Result<pb::TariffDocument, ApiError> {
    Ok(client(&session)
        .get_tariff(authorized(&session, pb::GetTariffRequest { code, draft })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The documents of a tariff the screen opens: the published revision
/// when there is one, the draft when one is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documents {
    pub code: String,
    pub published: Option<pb::TariffDocument>,
    pub draft: Option<pb::TariffDocument>,
}

/// Reads the published revision and the draft of `code`, as the list said
/// they exist.
pub async fn open_tariff(
    session: Session,
    code: String,
    has_published: bool,
    has_draft: bool,
) -> Result<Documents, ApiError> {
    let published = if has_published {
        Some(get_tariff(session.clone(), code.clone(), false).await?)
    } else {
        None
    };
    let draft = if has_draft {
        Some(get_tariff(session, code.clone(), true).await?)
    } else {
        None
    };
    Ok(Documents {
        code,
        published,
        draft,
    })
}

/// Keeps the whole document as the tariff's draft. A document the server
/// cannot read comes back as [`ApiError::InvalidField`] naming the line or
/// the field.
pub async fn save_draft(session: Session, toml: String) -> Result<pb::TariffDocument, ApiError> {
    Ok(client(&session)
        .save_tariff_draft(authorized(&session, pb::SaveTariffDraftRequest { toml })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Publishes the draft as a new revision with `note`. A change to a version
/// already in force comes back as [`ApiError::Refused`] with the reason.
pub async fn publish(
    session: Session,
    code: String,
    note: String,
) -> Result<pb::TariffDocument, ApiError> {
    Ok(client(&session)
        .publish_tariff(authorized(
            &session,
            pb::PublishTariffRequest { code, note },
        )?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Makes `code` the tariff of accounts that name none; answers the code.
pub async fn set_default(session: Session, code: String) -> Result<String, ApiError> {
    client(&session)
        .set_default_tariff(authorized(
            &session,
            pb::SetDefaultTariffRequest { code: code.clone() },
        )?)
        .await
        .map_err(|status| classify_status(&status))?;
    Ok(code)
}

/// Prices a consumption with the published revision or the draft.
pub async fn quote(
    session: Session,
    request: pb::QuoteTariffRequest,
) -> Result<pb::TariffQuote, ApiError> {
    Ok(client(&session)
        .quote_tariff(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The published revision and the draft priced alike, for the side-by-side
/// comparison: (published, draft).
pub async fn quote_both(
    session: Session,
    request: pb::QuoteTariffRequest,
) -> (
    Result<pb::TariffQuote, ApiError>,
    Result<pb::TariffQuote, ApiError>,
) {
    let published = quote(
        session.clone(),
        pb::QuoteTariffRequest {
            draft: false,
            ..request.clone()
        },
    );
    let draft = quote(
        session,
        pb::QuoteTariffRequest {
            draft: true,
            ..request
        },
    );
    iced::futures::join!(published, draft)
}
