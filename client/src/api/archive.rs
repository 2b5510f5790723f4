//! The customer archive (客户档案): `gascis.v1.ArchiveService`.
//!
//! Requests and answers are the generated proto messages: they already say
//! everything the screens show, and the screens build requests with pure
//! functions that the tests check. Each function takes owned values so it can
//! go straight into `Task::perform`.

use gascis_common::proto::v1 as pb;
use pb::archive_service_client::ArchiveServiceClient;
use tonic::transport::Channel;

use super::{ApiError, Session, authorized, classify_status};
use crate::secret::Secret;

/// How many change records one `list_changes` call brings.
pub const CHANGES_PAGE_SIZE: i32 = 50;

/// How many hits one search page shows.
pub const SEARCH_PAGE_SIZE: i32 = 20;

fn client(session: &Session) -> ArchiveServiceClient<Channel> {
    ArchiveServiceClient::new(session.connection.channel.clone())
}

/// Finds accounts (one page).
pub async fn search_accounts(
    session: Session,
    request: pb::SearchAccountsRequest,
) -> Result<pb::SearchAccountsResponse, ApiError> {
    Ok(client(&session)
        .search_accounts(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// One account with its customer, premise, meters, contracts and history.
pub async fn get_account(session: Session, account_id: i64) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .get_account(authorized(&session, pb::GetAccountRequest { account_id })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Change records of an account, newest first: the newest page when
/// `before_id` is 0, else the page of records older than `before_id`.
pub async fn list_changes(
    session: Session,
    account_id: i64,
    before_id: i64,
) -> Result<Vec<pb::ChangeRecord>, ApiError> {
    let request = pb::ListChangesRequest {
        account_id,
        limit: CHANGES_PAGE_SIZE,
        before_id,
    };
    Ok(client(&session)
        .list_changes(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .changes)
}

/// 开户. The request's idempotency key makes a resend safe.
pub async fn open_account(
    session: Session,
    request: pb::OpenAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .open_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// A supervisor's credentials typed into the approval dialog. The password
/// stays a [`Secret`] until the request is encoded.
#[derive(Debug, Clone)]
pub struct Approval {
    pub username: String,
    pub password: Secret,
}

/// 过户, with the supervisor's approval when the server asked for one.
pub async fn transfer_account(
    session: Session,
    mut request: pb::TransferAccountRequest,
    approval: Option<Approval>,
) -> Result<pb::AccountDetail, ApiError> {
    request.approval = approval.map(|approval| pb::SupervisorApproval {
        username: approval.username,
        password: approval.password.expose().to_owned(),
    });
    Ok(client(&session)
        .transfer_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 销户.
pub async fn close_account(
    session: Session,
    request: pb::CloseAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .close_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 报停 or 复用.
pub async fn set_account_suspended(
    session: Session,
    request: pb::SetAccountSuspendedRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .set_account_suspended(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 换表.
pub async fn replace_meter(
    session: Session,
    request: pb::ReplaceMeterRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .replace_meter(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes customer fields.
pub async fn update_customer(
    session: Session,
    request: pb::UpdateCustomerRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_customer(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes premise fields.
pub async fn update_premise(
    session: Session,
    request: pb::UpdatePremiseRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_premise(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes the low-income flag or the tariff of an account.
pub async fn update_account(
    session: Session,
    request: pb::UpdateAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes a contract's date, purpose or price policy.
pub async fn update_contract(
    session: Session,
    request: pb::UpdateContractRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_contract(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 人口登记.
pub async fn register_household(
    session: Session,
    request: pb::RegisterHouseholdRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .register_household(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// A customer's personal data in clear, kept out of `Debug` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedPii {
    pub customer_id: i64,
    pub id_number: Secret,
    pub phone: Secret,
    pub phone2: Secret,
}

/// A customer's identity number and phones in clear; the server audits the
/// call with its reason.
pub async fn reveal_customer_pii(
    session: Session,
    customer_id: i64,
    reason: String,
) -> Result<RevealedPii, ApiError> {
    let request = pb::RevealCustomerPiiRequest {
        customer_id,
        reason,
    };
    let response = client(&session)
        .reveal_customer_pii(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    Ok(RevealedPii {
        customer_id,
        id_number: Secret::from(response.id_number),
        phone: Secret::from(response.phone),
        phone2: Secret::from(response.phone2),
    })
}
