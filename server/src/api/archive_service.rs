use std::sync::Arc;

use gascis_common::proto::v1::{self as pb, archive_service_server::ArchiveService};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{SharedState, with_connection};
use crate::{
    archive::{
        self, Actor,
        detail::{self, account_detail},
        input::{
            self, ContractData, CustomerChanges, CustomerData, MeterData, PremiseChanges,
            PremiseData,
        },
        lifecycle::{self, Close, CustomerRef, OpenAccount, Replacement, Transfer},
        search::{self, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
    },
    auth::{
        Caller,
        audit::{self, NewAuditEvent},
        session,
    },
    error::{Error, Result},
    export,
};

pub struct ArchiveApi {
    pub state: SharedState,
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user_id: Some(caller.user_id),
        username: caller.username.clone(),
    }
}

fn customer_ref(
    existing: i64,
    new: Option<&pb::CustomerInput>,
    field: &str,
) -> Result<CustomerRef> {
    if existing > 0 {
        return Ok(CustomerRef::Existing(existing));
    }
    let input =
        new.ok_or_else(|| Error::invalid(field, "give the customer (or an existing customer id)"))?;
    CustomerData::from_input(input)
        .map(CustomerRef::New)
        .map_err(|e| e.within(field))
}

impl TryFrom<&pb::OpenAccountRequest> for OpenAccount {
    type Error = Error;

    fn try_from(request: &pb::OpenAccountRequest) -> Result<Self> {
        let premise = request
            .premise
            .as_ref()
            .ok_or_else(|| Error::invalid("premise", "is required"))
            .and_then(|p| PremiseData::from_input(p).map_err(|e| e.within("premise")))?;
        let meter = request
            .meter
            .as_ref()
            .ok_or_else(|| Error::invalid("meter", "is required"))
            .and_then(|m| MeterData::from_input(m).map_err(|e| e.within("meter")))?;
        let contract = request
            .contract
            .as_ref()
            .ok_or_else(|| Error::invalid("contract", "is required"))
            .and_then(|c| ContractData::from_input(c).map_err(|e| e.within("contract")))?;
        let customer = customer_ref(
            request.existing_customer_id,
            request.new_customer.as_ref(),
            "new_customer",
        )?;
        let household_size = match request.household_size {
            0 => None,
            size @ 1..=50 => Some(size),
            _ => {
                return Err(Error::invalid(
                    "household_size",
                    "must be 1 to 50 (0 when not applicable)",
                ));
            }
        };
        let idempotency_key =
            input::optional_text(&request.idempotency_key, "idempotency_key", 100)?;
        Ok(OpenAccount {
            customer,
            premise,
            meter,
            contract,
            household_size,
            low_income: request.low_income,
            opened_on: input::optional_date(&request.opened_on, "opened_on")?,
            idempotency_key: (!idempotency_key.is_empty()).then_some(idempotency_key),
        })
    }
}

impl ArchiveApi {
    /// Runs `work` and answers with the account's detail after it.
    async fn then_detail<F>(
        &self,
        account_id: i64,
        work: F,
    ) -> Result<Response<pb::AccountDetail>, Status>
    where
        F: FnOnce(&mut diesel::PgConnection) -> Result<()> + Send + 'static,
    {
        let detail = with_connection(&self.state, move |connection| {
            work(connection)?;
            account_detail(connection, account_id)
        })
        .await?;
        Ok(Response::new(detail))
    }
}

#[tonic::async_trait]
impl ArchiveService for ArchiveApi {
    type ExportAccountsStream = ReceiverStream<Result<pb::ExportChunk, Status>>;

    async fn export_accounts(
        &self,
        request: Request<pb::ExportAccountsRequest>,
    ) -> Result<Response<Self::ExportAccountsStream>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let kind = pb::SearchKind::try_from(input.kind)
            .map_err(|_| Error::invalid("kind", "unknown search kind"))?;
        let keys = Arc::clone(&self.state.pii);
        // The workbook is built in a temporary file (constant memory) before
        // the first byte goes out, so a failure is an error, never a
        // truncated file.
        let (path, rows) = with_connection(&self.state, move |connection| {
            let path = super::export_path()?;
            let query = input.query.trim();
            let rows = if query.is_empty() {
                export::accounts(connection, &path)?
            } else {
                export::search_results(connection, &keys, query, kind, input.include_closed, &path)?
            };
            let what = if query.is_empty() {
                "all accounts".to_owned()
            } else {
                format!("search {query:?}")
            };
            audit::record(
                connection,
                NewAuditEvent {
                    kind: audit::kind::ACCOUNTS_EXPORTED,
                    username: &caller.username,
                    user_id: Some(caller.user_id),
                    rpc: "/gascis.v1.ArchiveService/ExportAccounts",
                    detail: &format!("{rows} rows: {what}"),
                    peer: &caller.peer,
                },
            )?;
            Ok((path, rows))
        })
        .await?;
        let file_name = format!(
            "用户档案-{}.xlsx",
            chrono::Local::now().format("%Y%m%d-%H%M")
        );
        Ok(Response::new(super::stream_file(path, file_name, rows)))
    }

    async fn search_accounts(
        &self,
        request: Request<pb::SearchAccountsRequest>,
    ) -> Result<Response<pb::SearchAccountsResponse>, Status> {
        let input = request.into_inner();
        let page_size = match i64::from(input.page_size) {
            0 => DEFAULT_PAGE_SIZE,
            n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(
                    Error::invalid("page_size", format!("must be 1 to {MAX_PAGE_SIZE}")).into(),
                );
            }
        };
        let offset = if input.page_token.is_empty() {
            0
        } else {
            input
                .page_token
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    Error::invalid("page_token", "is not a token from a previous page")
                })?
        };
        let kind = pb::SearchKind::try_from(input.kind)
            .map_err(|_| Error::invalid("kind", "unknown search kind"))?;
        let keys = Arc::clone(&self.state.pii);
        let page = with_connection(&self.state, move |connection| {
            search::search(
                connection,
                &keys,
                &search::Query {
                    text: &input.query,
                    kind,
                    page_size,
                    offset,
                    include_closed: input.include_closed,
                },
            )
        })
        .await?;
        Ok(Response::new(pb::SearchAccountsResponse {
            results: page.results,
            next_page_token: page.next_offset.map(|n| n.to_string()).unwrap_or_default(),
            searched_as: page.searched_as as i32,
        }))
    }

    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let account_id = request.into_inner().account_id;
        self.then_detail(account_id, |_| Ok(())).await
    }

    async fn list_changes(
        &self,
        request: Request<pb::ListChangesRequest>,
    ) -> Result<Response<pb::ListChangesResponse>, Status> {
        let input = request.into_inner();
        let limit = match input.limit {
            0 => 50,
            n if n < 0 => return Err(Error::invalid("limit", "must not be negative").into()),
            n => i64::from(n.min(500)),
        };
        let before = (input.before_id > 0).then_some(input.before_id);
        let changes = with_connection(&self.state, move |connection| {
            detail::list_changes(connection, input.account_id, limit, before)
        })
        .await?;
        Ok(Response::new(pb::ListChangesResponse { changes }))
    }

    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Result<Response<pb::ListNoticesResponse>, Status> {
        let input = request.into_inner();
        let limit = match input.limit {
            0 => 50,
            n if n < 0 => return Err(Error::invalid("limit", "must not be negative").into()),
            n => i64::from(n.min(500)),
        };
        let rows = with_connection(&self.state, move |connection| {
            crate::notices::list(connection, input.account_id, limit)
        })
        .await?;
        let notices = rows
            .into_iter()
            .map(|row| pb::Notice {
                id: row.id,
                kind: row.kind,
                channel: row.channel,
                recipient_masked: row.recipient_masked,
                body: row.body,
                status: row.status,
                status_detail: row.status_detail,
                attempts: row.attempts,
                created_at: Some(crate::api::timestamp(row.created_at)),
                sent_at: row.sent_at.map(crate::api::timestamp),
            })
            .collect();
        Ok(Response::new(pb::ListNoticesResponse { notices }))
    }

    async fn open_account(
        &self,
        request: Request<pb::OpenAccountRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let open = OpenAccount::try_from(request.get_ref())?;
        let keys = Arc::clone(&self.state.pii);
        let detail = with_connection(&self.state, move |connection| {
            let account_id = lifecycle::open_account(connection, &keys, &actor, &open)?;
            account_detail(connection, account_id)
        })
        .await?;
        Ok(Response::new(detail))
    }

    async fn transfer_account(
        &self,
        request: Request<pb::TransferAccountRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let transfer = Transfer {
            account_id: input.account_id,
            expected_version: input.expected_version,
            final_reading: input::reading(&input.final_reading, "final_reading")?,
            new_customer: customer_ref(
                input.existing_customer_id,
                input.new_customer.as_ref(),
                "new_customer",
            )?,
            carry_arrears: input.carry_arrears,
            transferred_on: input::optional_date(&input.transferred_on, "transferred_on")?,
            reason: input::reason(&input.reason)?,
        };
        let keys = Arc::clone(&self.state.pii);
        let settings = self.state.auth;
        let approval = input.approval.filter(|a| !a.username.trim().is_empty());
        self.then_detail(input.account_id, move |connection| {
            // The supervisor is checked (and audited) only when the
            // transfer really needs one.
            let approved_by = match approval {
                Some(approval)
                    if transfer.carry_arrears
                        && lifecycle::transfer_needs_approval(connection, transfer.account_id)? =>
                {
                    Some(session::verify_approval(
                        connection,
                        &settings,
                        &approval.username,
                        &approval.password,
                        &caller.peer,
                        &format!(
                            "transfer of account id {} with arrears",
                            transfer.account_id
                        ),
                    )?)
                }
                _ => None,
            };
            lifecycle::transfer(
                connection,
                &keys,
                &actor(&caller),
                &transfer,
                approved_by.as_deref(),
            )
        })
        .await
    }

    async fn close_account(
        &self,
        request: Request<pb::CloseAccountRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let close = Close {
            account_id: input.account_id,
            expected_version: input.expected_version,
            final_reading: input::reading(&input.final_reading, "final_reading")?,
            closed_on: input::optional_date(&input.closed_on, "closed_on")?,
            reason: input::reason(&input.reason)?,
        };
        self.then_detail(input.account_id, move |connection| {
            lifecycle::close(connection, &actor, &close)
        })
        .await
    }

    async fn set_account_suspended(
        &self,
        request: Request<pb::SetAccountSuspendedRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        self.then_detail(input.account_id, move |connection| {
            lifecycle::set_suspended(
                connection,
                &actor,
                input.account_id,
                input.expected_version,
                input.suspended,
                &reason,
            )
        })
        .await
    }

    async fn replace_meter(
        &self,
        request: Request<pb::ReplaceMeterRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let replacement = Replacement {
            account_id: input.account_id,
            expected_version: input.expected_version,
            old_final_reading: input::reading(&input.old_final_reading, "old_final_reading")?,
            new_meter: input
                .new_meter
                .as_ref()
                .ok_or_else(|| Error::invalid("new_meter", "is required"))
                .and_then(|m| MeterData::from_input(m).map_err(|e| e.within("new_meter")))?,
            replaced_on: input::optional_date(&input.replaced_on, "replaced_on")?,
            reason: input::reason(&input.reason)?,
        };
        self.then_detail(input.account_id, move |connection| {
            lifecycle::replace_meter(connection, &actor, &replacement)
        })
        .await
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let changes_input = input.changes.unwrap_or_default();
        let keys = Arc::clone(&self.state.pii);
        let account_id = input.account_id;
        self.then_detail(account_id, move |connection| {
            let stored = archive::load_customer(connection, input.customer_id)?;
            let changes = CustomerChanges::from_input(&changes_input, &stored.id_type)
                .map_err(|e| e.within("changes"))?;
            lifecycle::update_customer(
                connection,
                &keys,
                &actor,
                (account_id > 0).then_some(account_id),
                input.customer_id,
                input.expected_version,
                &changes,
                &reason,
            )
        })
        .await
    }

    async fn update_premise(
        &self,
        request: Request<pb::UpdatePremiseRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let changes = PremiseChanges::from_input(&input.changes.unwrap_or_default())
            .map_err(|e| e.within("changes"))?;
        let account_id = input.account_id;
        self.then_detail(account_id, move |connection| {
            lifecycle::update_premise(
                connection,
                &actor,
                (account_id > 0).then_some(account_id),
                input.premise_id,
                input.expected_version,
                &changes,
                &reason,
            )
        })
        .await
    }

    async fn update_account(
        &self,
        request: Request<pb::UpdateAccountRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let changes = lifecycle::AccountChanges {
            low_income: input.low_income,
            tariff_code: input
                .tariff_code
                .as_deref()
                .map(|code| input::optional_text(code, "tariff_code", 40))
                .transpose()?,
            notices_opt_out: input.notices_opt_out,
        };
        self.then_detail(input.account_id, move |connection| {
            lifecycle::update_account(
                connection,
                &actor,
                input.account_id,
                input.expected_version,
                &changes,
                &reason,
            )
        })
        .await
    }

    async fn update_contract(
        &self,
        request: Request<pb::UpdateContractRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let changes = lifecycle::ContractChanges {
            signed_on: match input.signed_on.as_deref() {
                Some(text) => Some(
                    input::optional_date(text, "signed_on")?
                        .ok_or_else(|| Error::invalid("signed_on", "is required when set"))?,
                ),
                None => None,
            },
            gas_purpose: input
                .gas_purpose
                .map(|value| input::gas_purpose(value, "gas_purpose"))
                .transpose()?,
            price_policy: input
                .price_policy
                .as_deref()
                .map(|text| input::optional_text(text, "price_policy", 40))
                .transpose()?,
        };
        let detail = with_connection(&self.state, move |connection| {
            let account_id = lifecycle::update_contract(
                connection,
                &actor,
                input.contract_id,
                input.expected_version,
                &changes,
                &reason,
            )?;
            account_detail(connection, account_id)
        })
        .await?;
        Ok(Response::new(detail))
    }

    async fn register_household(
        &self,
        request: Request<pb::RegisterHouseholdRequest>,
    ) -> Result<Response<pb::AccountDetail>, Status> {
        let actor = actor(Caller::of(&request)?);
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let effective_from = input::optional_date(&input.effective_from, "effective_from")?
            .ok_or_else(|| Error::invalid("effective_from", "is required"))?;
        self.then_detail(input.account_id, move |connection| {
            lifecycle::register_household(
                connection,
                &actor,
                input.account_id,
                input.expected_version,
                input.household_size,
                effective_from,
                &reason,
            )
        })
        .await
    }

    async fn reveal_customer_pii(
        &self,
        request: Request<pb::RevealCustomerPiiRequest>,
    ) -> Result<Response<pb::RevealCustomerPiiResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let reason = input::reason(&input.reason)?;
        let keys = Arc::clone(&self.state.pii);
        let revealed = with_connection(&self.state, move |connection| {
            detail::reveal(connection, &keys, &caller, input.customer_id, &reason)
        })
        .await?;
        Ok(Response::new(revealed))
    }
}
