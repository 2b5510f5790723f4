//! The customer archive end to end: lifecycle paths and their refusals,
//! concurrent edits, personal data protection, roles and search.

use diesel::{RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Money, Role,
    proto::{
        FIELD_METADATA_KEY,
        v1::{self as pb, archive_service_client::ArchiveServiceClient},
    },
};
use gascis_testkit::{
    ADMIN_PASSWORD, TestServer,
    archive_fixtures::{meter, open_request, person, resident_id},
    authed, reason,
};
use tonic::{Code, Status, transport::Channel};

struct Desk {
    server: TestServer,
    client: ArchiveServiceClient<Channel>,
    back_office: String,
    cashier: String,
}

async fn desk() -> anyhow::Result<Desk> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    server
        .create_user("lijianguo", "李建国", "supervisor-1", &[Role::Supervisor])
        .await?;
    let back_office = server.login("zhangmin", "back-office-1").await?;
    let cashier = server.login("wangfang", "cashier-pass-1").await?;
    let client = ArchiveServiceClient::new(server.channel().await?);
    Ok(Desk {
        server,
        client,
        back_office,
        cashier,
    })
}

fn field_of(status: &Status) -> String {
    status
        .metadata()
        .get(FIELD_METADATA_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl Desk {
    async fn open(&mut self, name: &str, serial: u64) -> anyhow::Result<pb::AccountDetail> {
        Ok(self
            .client
            .open_account(authed(open_request(name, serial), &self.back_office))
            .await?
            .into_inner())
    }

    fn account(detail: &pb::AccountDetail) -> pb::Account {
        detail.account.clone().unwrap_or_default()
    }

    async fn changes(&mut self, account_id: i64) -> anyhow::Result<Vec<pb::ChangeRecord>> {
        Ok(self
            .client
            .list_changes(authed(
                pb::ListChangesRequest {
                    account_id,
                    ..Default::default()
                },
                &self.cashier,
            ))
            .await?
            .into_inner()
            .changes)
    }
}

#[tokio::test]
async fn open_account_creates_everything_once_and_records_it() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("王芳", 1).await?;
    let account = Desk::account(&detail);
    assert_eq!(account.account_no.len(), 10);
    assert_eq!(account.status, pb::AccountStatus::Active as i32);
    assert_eq!(account.household_size, 3);
    assert_eq!(account.arrears, "0.00");
    let customer = detail.customer.clone().unwrap_or_default();
    assert_eq!(customer.name, "王芳");
    assert_eq!(
        customer.id_number_masked,
        format!("310***********{}", &resident_id(1)[14..])
    );
    assert_eq!(customer.phone_masked, "139****0001");
    let premise = detail.premise.clone().unwrap_or_default();
    assert_eq!(premise.address, "浦东新区阳光花园2栋2单元202室");
    assert_eq!(detail.meters.len(), 1);
    assert!(detail.meters[0].installed);
    assert_eq!(detail.meter_events[0].kind, "install");
    assert_eq!(
        detail.contracts[0].contract_no,
        format!("HT{}", account.account_no)
    );
    assert_eq!(detail.holders.len(), 1);

    // A retry with the same idempotency key returns the same account.
    let again = desk.open("王芳", 1).await?;
    assert_eq!(Desk::account(&again).id, account.id);
    // The same key with other content is refused.
    let mut other = open_request("王芳", 1);
    other.household_size = 4;
    let refused = desk
        .client
        .open_account(authed(other, &desk.back_office))
        .await
        .err();
    assert_eq!(
        refused.as_ref().map(field_of),
        Some("idempotency_key".to_owned())
    );

    let changes = desk.changes(account.id).await?;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].action, "open_account");
    assert_eq!(changes[0].username, "zhangmin");
    desk.server.shutdown().await
}

#[tokio::test]
async fn bad_open_requests_name_the_field_and_write_nothing() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let mut wrong_check = open_request("李四", 2);
    if let Some(customer) = wrong_check.new_customer.as_mut() {
        let mut id = resident_id(2);
        let last = id.pop().unwrap_or('0');
        id.push(if last == '1' { '2' } else { '1' });
        customer.id_number = Some(id);
    }
    let mut negative = open_request("李四", 3);
    if let Some(meter) = negative.meter.as_mut() {
        meter.initial_reading = "-5".into();
    }
    let mut bad_phone = open_request("李四", 4);
    if let Some(customer) = bad_phone.new_customer.as_mut() {
        customer.phone = Some("12345".into());
    }
    let mut no_address = open_request("李四", 5);
    no_address.premise = Some(pb::PremiseInput::default());
    for (request, field, words) in [
        (wrong_check, "new_customer.id_number", "wrong check digit"),
        (negative, "meter.initial_reading", "must not be negative"),
        (bad_phone, "new_customer.phone", "not a mobile number"),
        (no_address, "premise.address", "is required"),
    ] {
        let status = desk
            .client
            .open_account(authed(request, &desk.back_office))
            .await
            .err();
        assert_eq!(
            status.as_ref().map(|s| s.code()),
            Some(Code::InvalidArgument)
        );
        assert_eq!(status.as_ref().map(field_of).as_deref(), Some(field));
        let message = status.map(|s| s.message().to_owned()).unwrap_or_default();
        assert!(message.contains(words), "{field}: {message}");
    }
    // A meter number that is taken says where.
    desk.open("王芳", 6).await?;
    let mut duplicate = open_request("赵六", 7);
    duplicate.meter = Some(meter("JK00000006", pb::MeterType::Mechanical, ""));
    let status = desk
        .client
        .open_account(authed(duplicate, &desk.back_office))
        .await
        .err();
    assert_eq!(
        status.as_ref().map(field_of).as_deref(),
        Some("meter.meter_no")
    );
    let mut connection = desk.server.db.app()?;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let customers: Vec<Count> =
        sql_query("SELECT count(*) AS count FROM customers").load(&mut connection)?;
    assert_eq!(
        customers[0].count, 1,
        "refused openings leave no customer behind"
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn transfer_with_arrears_needs_settling_or_a_supervisor() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("王芳", 10).await?;
    let account = Desk::account(&detail);
    // Arrears brought over from the legacy ledger.
    let mut connection = desk.server.db.app()?;
    gascis_server::ledger::post_opening_arrears(
        &mut connection,
        account.id,
        Money::from_fen(12_050),
        chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default(),
        "test",
        "opening:test",
    )?;
    let transfer = |carry: bool, approval: Option<pb::SupervisorApproval>, version: i32| {
        pb::TransferAccountRequest {
            account_id: account.id,
            expected_version: version,
            final_reading: "120.5".into(),
            existing_customer_id: 0,
            new_customer: Some(person("陈静", 11)),
            carry_arrears: carry,
            approval,
            transferred_on: "2025-01-10".into(),
            reason: "房屋买卖".into(),
        }
    };
    let refused = desk
        .client
        .transfer_account(authed(
            transfer(false, None, account.version),
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        refused.as_ref().map(|s| s.code()),
        Some(Code::FailedPrecondition)
    );
    assert!(
        refused
            .as_ref()
            .is_some_and(|s| s.message().contains("arrears of 120.50 CNY")),
        "{refused:?}"
    );
    let needs = desk
        .client
        .transfer_account(authed(
            transfer(true, None, account.version),
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        needs.as_ref().map(reason),
        Some("approval_required".to_owned())
    );
    let wrong = pb::SupervisorApproval {
        username: "lijianguo".into(),
        password: "nope-nope".into(),
    };
    let bad = desk
        .client
        .transfer_account(authed(
            transfer(true, Some(wrong), account.version),
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        bad.as_ref().map(field_of),
        Some("approval.password".to_owned())
    );
    let not_supervisor = pb::SupervisorApproval {
        username: "wangfang".into(),
        password: "cashier-pass-1".into(),
    };
    let bad = desk
        .client
        .transfer_account(authed(
            transfer(true, Some(not_supervisor), account.version),
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        bad.as_ref().map(field_of),
        Some("approval.username".to_owned())
    );

    let approval = pb::SupervisorApproval {
        username: "lijianguo".into(),
        password: "supervisor-1".into(),
    };
    let done = desk
        .client
        .transfer_account(authed(
            transfer(true, Some(approval), account.version),
            &desk.back_office,
        ))
        .await?
        .into_inner();
    assert_eq!(
        done.customer.as_ref().map(|c| c.name.as_str()),
        Some("陈静")
    );
    assert_eq!(
        Desk::account(&done).arrears,
        "120.50",
        "arrears stay on the account"
    );
    assert_eq!(done.holders.len(), 2);
    assert_eq!(done.holders[1].customer_name, "王芳");
    assert_eq!(done.holders[1].to_date, "2025-01-10");
    let changes = desk.changes(account.id).await?;
    assert_eq!(changes[0].action, "transfer");
    assert_eq!(changes[0].approved_by, "lijianguo");
    assert!(
        changes[0]
            .differences
            .iter()
            .any(|d| d == "holder: 王芳 → 陈静")
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn suspend_resume_replace_and_close_follow_the_rules() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("刘强", 20).await?;
    let mut account = Desk::account(&detail);
    let token = desk.back_office.clone();

    let resume_active = desk
        .client
        .set_account_suspended(authed(
            pb::SetAccountSuspendedRequest {
                account_id: account.id,
                expected_version: account.version,
                suspended: false,
                reason: "x".into(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(
        resume_active.map(|s| s.code()),
        Some(Code::FailedPrecondition)
    );
    let suspended = desk
        .client
        .set_account_suspended(authed(
            pb::SetAccountSuspendedRequest {
                account_id: account.id,
                expected_version: account.version,
                suspended: true,
                reason: "外出务工".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    account = Desk::account(&suspended);
    assert_eq!(account.status, pb::AccountStatus::Suspended as i32);
    let resumed = desk
        .client
        .set_account_suspended(authed(
            pb::SetAccountSuspendedRequest {
                account_id: account.id,
                expected_version: account.version,
                suspended: false,
                reason: "返回".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    account = Desk::account(&resumed);
    assert_eq!(account.status, pb::AccountStatus::Active as i32);

    let mut new_meter = meter("JK99000001", pb::MeterType::IcCard, "IC5500001");
    new_meter.initial_reading = "-1".into();
    let negative = desk
        .client
        .replace_meter(authed(
            pb::ReplaceMeterRequest {
                account_id: account.id,
                expected_version: account.version,
                old_final_reading: "88.2".into(),
                new_meter: Some(new_meter.clone()),
                replaced_on: "2025-02-01".into(),
                reason: "表具故障".into(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(
        negative.as_ref().map(field_of),
        Some("new_meter.initial_reading".to_owned())
    );
    new_meter.initial_reading = "0.5".into();
    let replaced = desk
        .client
        .replace_meter(authed(
            pb::ReplaceMeterRequest {
                account_id: account.id,
                expected_version: account.version,
                old_final_reading: "88.2".into(),
                new_meter: Some(new_meter),
                replaced_on: "2025-02-01".into(),
                reason: "表具故障".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    account = Desk::account(&replaced);
    assert_eq!(replaced.meters[0].meter_no, "JK99000001");
    assert!(replaced.meters[0].installed && !replaced.meters[1].installed);
    let kinds: Vec<&str> = replaced
        .meter_events
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds, vec!["replaced_in", "replaced_out", "install"]);
    assert_eq!(replaced.meter_events[1].reading, "88.200");
    assert_eq!(replaced.ic_cards[0].card_no, "IC5500001");

    let below = desk
        .client
        .close_account(authed(
            pb::CloseAccountRequest {
                account_id: account.id,
                expected_version: account.version,
                final_reading: "0.1".into(),
                closed_on: "2025-06-30".into(),
                reason: "拆迁".into(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(
        below.as_ref().map(field_of),
        Some("final_reading".to_owned())
    );
    let closed = desk
        .client
        .close_account(authed(
            pb::CloseAccountRequest {
                account_id: account.id,
                expected_version: account.version,
                final_reading: "15.75".into(),
                closed_on: "2025-06-30".into(),
                reason: "拆迁".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    account = Desk::account(&closed);
    assert_eq!(account.status, pb::AccountStatus::Closed as i32);
    assert_eq!(account.closed_on, "2025-06-30");
    assert!(closed.meters.iter().all(|m| !m.installed));
    assert_eq!(closed.ic_cards[0].status, "cancelled");
    let again = desk
        .client
        .close_account(authed(
            pb::CloseAccountRequest {
                account_id: account.id,
                expected_version: account.version,
                final_reading: "15.75".into(),
                closed_on: "2025-06-30".into(),
                reason: "拆迁".into(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(
        again.as_ref().map(|s| s.code()),
        Some(Code::FailedPrecondition)
    );
    assert!(again.is_some_and(|s| s.message().contains("was closed on 2025-06-30")));

    let actions: Vec<String> = desk
        .changes(account.id)
        .await?
        .into_iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "close",
            "replace_meter",
            "resume",
            "suspend",
            "open_account"
        ]
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn concurrent_edits_of_one_account_lose_nothing() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("周杰", 30).await?;
    let account = Desk::account(&detail);
    let customer = detail.customer.clone().unwrap_or_default();
    // Two clerks change the same customer from the same version at once.
    let mut tasks = Vec::new();
    for (i, name) in ["周杰伦", "周杰明"].into_iter().enumerate() {
        let mut client = desk.client.clone();
        let token = desk.back_office.clone();
        let request = pb::UpdateCustomerRequest {
            customer_id: customer.id,
            expected_version: customer.version,
            changes: Some(pb::CustomerInput {
                name: Some(name.to_owned()),
                ..Default::default()
            }),
            reason: format!("更正姓名 {i}"),
            account_id: account.id,
        };
        tasks.push(tokio::spawn(async move {
            client.update_customer(authed(request, &token)).await
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        match task.await? {
            Ok(reply) => winners.push(reply.into_inner()),
            Err(status) => losers.push(status),
        }
    }
    assert_eq!((winners.len(), losers.len()), (1, 1));
    assert_eq!(losers[0].code(), Code::Aborted);
    assert_eq!(reason(&losers[0]), "stale_version");
    assert!(
        losers[0].message().contains("by zhangmin"),
        "{}",
        losers[0].message()
    );
    let final_name = winners[0]
        .customer
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let changes = desk.changes(account.id).await?;
    assert_eq!(
        changes.len(),
        2,
        "one open, one update: the loser wrote nothing"
    );
    assert!(changes[0].differences[0].ends_with(&final_name));

    // Same for lifecycle calls on the account.
    let a = desk
        .client
        .set_account_suspended(authed(
            pb::SetAccountSuspendedRequest {
                account_id: account.id,
                expected_version: account.version,
                suspended: true,
                reason: "a".into(),
            },
            &desk.back_office,
        ))
        .await;
    let b = desk
        .client
        .register_household(authed(
            pb::RegisterHouseholdRequest {
                account_id: account.id,
                expected_version: account.version,
                household_size: 5,
                effective_from: "2025-01-01".into(),
                reason: "b".into(),
            },
            &desk.back_office,
        ))
        .await;
    assert!(a.is_ok());
    assert_eq!(
        b.err().map(|s| reason(&s)),
        Some("stale_version".to_owned())
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn household_and_account_changes_keep_history() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("吴敏", 40).await?;
    let account = Desk::account(&detail);
    let registered = desk
        .client
        .register_household(authed(
            pb::RegisterHouseholdRequest {
                account_id: account.id,
                expected_version: account.version,
                household_size: 6,
                effective_from: "2024-06-01".into(),
                reason: "户口本".into(),
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    let after = Desk::account(&registered);
    assert_eq!(after.household_size, 6);
    assert_eq!(registered.household.len(), 2);
    let early = desk
        .client
        .register_household(authed(
            pb::RegisterHouseholdRequest {
                account_id: account.id,
                expected_version: after.version,
                household_size: 2,
                effective_from: "2020-01-01".into(),
                reason: "x".into(),
            },
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        early.as_ref().map(field_of),
        Some("effective_from".to_owned())
    );
    let updated = desk
        .client
        .update_account(authed(
            pb::UpdateAccountRequest {
                account_id: account.id,
                expected_version: after.version,
                low_income: Some(true),
                tariff_code: None,
                reason: "低保证明".into(),
                notices_opt_out: Some(true),
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    assert!(Desk::account(&updated).low_income);
    assert!(Desk::account(&updated).notices_opt_out);
    let premise = updated.premise.clone().unwrap_or_default();
    let moved = desk
        .client
        .update_premise(authed(
            pb::UpdatePremiseRequest {
                premise_id: premise.id,
                expected_version: premise.version,
                changes: Some(pb::PremiseInput {
                    room: Some("502".into()),
                    address: Some("浦东新区阳光花园1栋1单元502室".into()),
                    ..Default::default()
                }),
                reason: "门牌更正".into(),
                account_id: account.id,
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    assert_eq!(moved.premise.map(|p| p.room), Some("502".to_owned()));
    let changes = desk.changes(account.id).await?;
    assert_eq!(changes[0].action, "update_premise");
    assert!(
        changes[0]
            .differences
            .iter()
            .any(|d| d.starts_with("room: ") && d.ends_with("→ 502"))
    );
    assert!(
        changes[1]
            .differences
            .contains(&"low_income: false → true".to_owned())
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn roles_limit_who_changes_and_who_sees_personal_data() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("郑爽", 50).await?;
    let customer = detail.customer.clone().unwrap_or_default();
    // A cashier can read, masked, but not open accounts or reveal.
    let read = desk
        .client
        .get_account(authed(
            pb::GetAccountRequest {
                account_id: Desk::account(&detail).id,
            },
            &desk.cashier,
        ))
        .await?
        .into_inner();
    assert!(
        read.customer
            .is_some_and(|c| c.id_number_masked.contains("***********"))
    );
    let denied = desk
        .client
        .open_account(authed(open_request("x", 51), &desk.cashier))
        .await
        .err();
    assert_eq!(denied.map(|s| s.code()), Some(Code::PermissionDenied));
    let denied = desk
        .client
        .reveal_customer_pii(authed(
            pb::RevealCustomerPiiRequest {
                customer_id: customer.id,
                reason: "看看".into(),
            },
            &desk.cashier,
        ))
        .await
        .err();
    assert_eq!(denied.map(|s| s.code()), Some(Code::PermissionDenied));
    // Back office sees it in full, and that is audited with the reason.
    let no_reason = desk
        .client
        .reveal_customer_pii(authed(
            pb::RevealCustomerPiiRequest {
                customer_id: customer.id,
                reason: " ".into(),
            },
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(no_reason.as_ref().map(field_of), Some("reason".to_owned()));
    let revealed = desk
        .client
        .reveal_customer_pii(authed(
            pb::RevealCustomerPiiRequest {
                customer_id: customer.id,
                reason: "核对身份".into(),
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    assert_eq!(revealed.id_number, resident_id(50));
    assert_eq!(revealed.phone, "13900000050");
    let admin = desk.server.login("admin", ADMIN_PASSWORD).await?;
    let mut system = gascis_common::proto::v1::system_service_client::SystemServiceClient::new(
        desk.server.channel().await?,
    );
    let events = system
        .list_audit_events(authed(
            pb::ListAuditEventsRequest {
                kind: "pii_revealed".into(),
                ..Default::default()
            },
            &admin,
        ))
        .await?
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].username, "zhangmin");
    assert!(events[0].detail.contains("核对身份"));
    desk.server.shutdown().await
}

#[tokio::test]
async fn search_finds_accounts_by_every_kind() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let first = desk.open("欧阳娜娜", 60).await?;
    let second = desk.open("王建国", 61).await?;
    let account_no = Desk::account(&first).account_no;
    let search = |query: &str, kind: pb::SearchKind| pb::SearchAccountsRequest {
        query: query.to_owned(),
        kind: kind as i32,
        ..Default::default()
    };
    let id_number = resident_id(61);
    let cases = [
        (
            account_no.as_str(),
            pb::SearchKind::Auto,
            "欧阳娜娜",
            pb::SearchKind::AccountNo,
        ),
        (
            "欧阳",
            pb::SearchKind::Auto,
            "欧阳娜娜",
            pb::SearchKind::Name,
        ),
        (
            "阳娜娜",
            pb::SearchKind::Name,
            "欧阳娜娜",
            pb::SearchKind::Name,
        ),
        (
            "王建军",
            pb::SearchKind::Name,
            "王建国",
            pb::SearchKind::Name,
        ),
        (
            "139 0000 0061",
            pb::SearchKind::Phone,
            "王建国",
            pb::SearchKind::Phone,
        ),
        (
            "13900000061",
            pb::SearchKind::Auto,
            "王建国",
            pb::SearchKind::Phone,
        ),
        (
            "2栋2单元802",
            pb::SearchKind::Address,
            "王建国",
            pb::SearchKind::Address,
        ),
        (
            "JK00000060",
            pb::SearchKind::Auto,
            "欧阳娜娜",
            pb::SearchKind::MeterNo,
        ),
        (
            id_number.as_str(),
            pb::SearchKind::Auto,
            "王建国",
            pb::SearchKind::IdNumber,
        ),
    ];
    for (query, kind, expected, searched_as) in cases {
        let reply = desk
            .client
            .search_accounts(authed(search(query, kind), &desk.cashier))
            .await?
            .into_inner();
        let names: Vec<&str> = reply
            .results
            .iter()
            .map(|r| r.customer_name.as_str())
            .collect();
        assert!(names.first() == Some(&expected), "{query}: {names:?}");
        assert_eq!(reply.searched_as, searched_as as i32, "{query}");
        assert!(reply.results[0].phone_masked.contains("****"));
        assert!(reply.results[0].customer_id > 0);
    }
    let none = desk
        .client
        .search_accounts(authed(
            search("不存在的人", pb::SearchKind::Auto),
            &desk.cashier,
        ))
        .await?
        .into_inner();
    assert!(none.results.is_empty());
    // Paging.
    for serial in 62..67 {
        desk.open(&format!("王小{serial}"), serial).await?;
    }
    let mut request = search("王", pb::SearchKind::Name);
    request.page_size = 4;
    let page1 = desk
        .client
        .search_accounts(authed(request.clone(), &desk.cashier))
        .await?
        .into_inner();
    assert_eq!(page1.results.len(), 4);
    request.page_token = page1.next_page_token.clone();
    let page2 = desk
        .client
        .search_accounts(authed(request, &desk.cashier))
        .await?
        .into_inner();
    assert_eq!(page2.results.len(), 2);
    assert!(page2.next_page_token.is_empty());
    let _ = second;
    // Names starting with the query come first, then names containing it,
    // and paging runs across both without losing or repeating anyone.
    for (serial, name) in [(70, "老张三丰"), (71, "张三丰收"), (72, "张三丰")] {
        desk.open(name, serial).await?;
    }
    let mut request = search("张三丰", pb::SearchKind::Name);
    request.page_size = 2;
    let page1 = desk
        .client
        .search_accounts(authed(request.clone(), &desk.cashier))
        .await?
        .into_inner();
    let names1: Vec<&str> = page1
        .results
        .iter()
        .map(|r| r.customer_name.as_str())
        .collect();
    assert_eq!(names1, vec!["张三丰", "张三丰收"]);
    request.page_token = page1.next_page_token.clone();
    let page2 = desk
        .client
        .search_accounts(authed(request, &desk.cashier))
        .await?
        .into_inner();
    let names2: Vec<&str> = page2
        .results
        .iter()
        .map(|r| r.customer_name.as_str())
        .collect();
    assert_eq!(names2, vec!["老张三丰"]);
    assert!(page2.next_page_token.is_empty());
    desk.server.shutdown().await
}

#[tokio::test]
async fn changing_personal_data_moves_the_lookup_and_records_only_masks() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("孙丽", 70).await?;
    let account = Desk::account(&detail);
    let customer = detail.customer.clone().unwrap_or_default();
    let new_id = resident_id(7070);
    let updated = desk
        .client
        .update_customer(authed(
            pb::UpdateCustomerRequest {
                customer_id: customer.id,
                expected_version: customer.version,
                changes: Some(pb::CustomerInput {
                    id_number: Some(new_id.clone()),
                    phone: Some("186-0000-7070".into()),
                    phone2: Some("021-62345678".into()),
                    ..Default::default()
                }),
                reason: "证件更换".into(),
                account_id: account.id,
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    let after = updated.customer.unwrap_or_default();
    assert_eq!(after.phone_masked, "186****7070");
    assert_eq!(after.phone2_masked, "021-****5678");
    let search = |query: &str| pb::SearchAccountsRequest {
        query: query.to_owned(),
        kind: pb::SearchKind::Phone as i32,
        ..Default::default()
    };
    let new_hits = desk
        .client
        .search_accounts(authed(search("18600007070"), &desk.cashier))
        .await?
        .into_inner()
        .results;
    assert_eq!(new_hits.len(), 1);
    let second_hits = desk
        .client
        .search_accounts(authed(search("021 6234 5678"), &desk.cashier))
        .await?
        .into_inner()
        .results;
    assert_eq!(second_hits.len(), 1);
    let old_hits = desk
        .client
        .search_accounts(authed(search("13900000070"), &desk.cashier))
        .await?
        .into_inner()
        .results;
    assert!(old_hits.is_empty());
    let changes = desk.changes(account.id).await?;
    let text = changes[0].differences.join(" | ");
    assert!(text.contains("phone: 139****0070 → 186****7070"), "{text}");
    assert!(
        !text.contains(&new_id) && !text.contains("18600007070"),
        "{text}"
    );
    // Wrong type for the number: the field is named.
    let bad = desk
        .client
        .update_customer(authed(
            pb::UpdateCustomerRequest {
                customer_id: customer.id,
                expected_version: after.version,
                changes: Some(pb::CustomerInput {
                    id_type: Some(pb::IdType::UnifiedSocialCreditCode as i32),
                    id_number: Some(new_id),
                    ..Default::default()
                }),
                reason: "x".into(),
                account_id: account.id,
            },
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(
        bad.as_ref().map(field_of),
        Some("changes.id_number".to_owned())
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn a_closed_account_refuses_every_change() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("钱进", 80).await?;
    let account = Desk::account(&detail);
    let closed = desk
        .client
        .close_account(authed(
            pb::CloseAccountRequest {
                account_id: account.id,
                expected_version: account.version,
                final_reading: "10".into(),
                closed_on: String::new(),
                reason: "销户".into(),
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    let version = Desk::account(&closed).version;
    let token = desk.back_office.clone();
    let suspend = desk
        .client
        .set_account_suspended(authed(
            pb::SetAccountSuspendedRequest {
                account_id: account.id,
                expected_version: version,
                suspended: true,
                reason: "x".into(),
            },
            &token,
        ))
        .await
        .err();
    let transfer = desk
        .client
        .transfer_account(authed(
            pb::TransferAccountRequest {
                account_id: account.id,
                expected_version: version,
                final_reading: "10".into(),
                new_customer: Some(person("新户", 81)),
                reason: "x".into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .err();
    let replace = desk
        .client
        .replace_meter(authed(
            pb::ReplaceMeterRequest {
                account_id: account.id,
                expected_version: version,
                old_final_reading: "10".into(),
                new_meter: Some(meter("NEW0001", pb::MeterType::Mechanical, "")),
                replaced_on: String::new(),
                reason: "x".into(),
            },
            &token,
        ))
        .await
        .err();
    for status in [suspend, transfer, replace] {
        assert_eq!(
            status.as_ref().map(|s| s.code()),
            Some(Code::FailedPrecondition),
            "{status:?}"
        );
        assert!(status.is_some_and(|s| s.message().contains("was closed")));
    }
    // Closed accounts are found only when asked for.
    let search = |include_closed| pb::SearchAccountsRequest {
        query: "钱进".into(),
        kind: pb::SearchKind::Name as i32,
        include_closed,
        ..Default::default()
    };
    assert!(
        desk.client
            .search_accounts(authed(search(false), &desk.cashier))
            .await?
            .into_inner()
            .results
            .is_empty()
    );
    assert_eq!(
        desk.client
            .search_accounts(authed(search(true), &desk.cashier))
            .await?
            .into_inner()
            .results
            .len(),
        1
    );
    desk.server.shutdown().await
}

#[tokio::test]
async fn contracts_change_with_a_record() -> anyhow::Result<()> {
    let mut desk = desk().await?;
    let detail = desk.open("冯巩", 90).await?;
    let contract = detail.contracts[0].clone();
    let updated = desk
        .client
        .update_contract(authed(
            pb::UpdateContractRequest {
                contract_id: contract.id,
                expected_version: contract.version,
                gas_purpose: Some(pb::GasPurpose::CookingAndHeating as i32),
                reason: "加装壁挂炉".into(),
                ..Default::default()
            },
            &desk.back_office,
        ))
        .await?
        .into_inner();
    assert_eq!(
        updated.contracts[0].gas_purpose,
        pb::GasPurpose::CookingAndHeating as i32
    );
    let stale = desk
        .client
        .update_contract(authed(
            pb::UpdateContractRequest {
                contract_id: contract.id,
                expected_version: contract.version,
                price_policy: Some("x".into()),
                reason: "y".into(),
                ..Default::default()
            },
            &desk.back_office,
        ))
        .await
        .err();
    assert_eq!(stale.map(|s| reason(&s)), Some("stale_version".to_owned()));
    let changes = desk.changes(Desk::account(&detail).id).await?;
    assert_eq!(changes[0].action, "update_contract");
    assert_eq!(
        changes[0].differences,
        vec!["gas_purpose: cooking → cooking_and_heating".to_owned()]
    );
    desk.server.shutdown().await
}
