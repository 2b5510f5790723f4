//! BillingService end to end over TLS: tariffs as data (draft, refusal with
//! the field, publish, quote), route books and reading sheets, readings with
//! per-row errors, the IoT feed, a billing run streaming its progress, bills
//! with their lines, cancellation and re-billing, the Excel export, roles.

use calamine::{Data, Reader, open_workbook_auto};
use gascis_common::{
    Role,
    proto::v1::{
        self as pb, archive_service_client::ArchiveServiceClient,
        billing_service_client::BillingServiceClient,
    },
};
use gascis_testkit::{TestServer, archive_fixtures::open_request, authed, reason};
use tonic::{Code, transport::Channel};

fn at(date: &str) -> Option<prost_types::Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(prost_types::Timestamp {
        seconds: day.and_hms_opt(4, 0, 0)?.and_utc().timestamp(),
        nanos: 0,
    })
}

async fn run_billing(
    client: &mut BillingServiceClient<Channel>,
    token: &str,
    period: &str,
) -> anyhow::Result<(pb::BillingSummary, usize)> {
    let mut stream = client
        .run_billing(authed(
            pb::RunBillingRequest {
                period: period.into(),
                ..Default::default()
            },
            token,
        ))
        .await?
        .into_inner();
    let mut progress = 0;
    while let Some(event) = stream.message().await? {
        match event.event {
            Some(pb::billing_run_event::Event::Progress(_)) => progress += 1,
            Some(pb::billing_run_event::Event::Summary(summary)) => return Ok((summary, progress)),
            None => {}
        }
    }
    anyhow::bail!("the run ended without a summary")
}

#[tokio::test(flavor = "multi_thread")]
async fn tariffs_readings_runs_and_bills_over_the_api() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("liqiang", "李强", "field-pass-1", &[Role::Field])
        .await?;
    let office = server.login("zhangmin", "back-office-1").await?;
    let field = server.login("liqiang", "field-pass-1").await?;
    let channel = server.channel().await?;
    let mut archive = ArchiveServiceClient::new(channel.clone());
    let mut billing = BillingServiceClient::new(channel);

    // Presets are there from the start; Shanghai becomes the default.
    let tariffs = billing
        .list_tariffs(authed(pb::ListTariffsRequest {}, &office))
        .await?
        .into_inner()
        .tariffs;
    let codes: Vec<&str> = tariffs.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "beijing-2019",
            "chongqing-2021",
            "shanghai-2014",
            "shenzhen-2021"
        ]
    );
    billing
        .set_default_tariff(authed(
            pb::SetDefaultTariffRequest {
                code: "shanghai-2014".into(),
            },
            &office,
        ))
        .await?;

    // A draft that does not parse is refused naming the field; a price
    // change from 2030 is saved, quoted and published.
    let published = billing
        .get_tariff(authed(
            pb::GetTariffRequest {
                code: "shanghai-2014".into(),
                draft: false,
            },
            &office,
        ))
        .await?
        .into_inner();
    let broken = published.toml.replace("\"3.30\"", "3.30");
    let refused = billing
        .save_tariff_draft(authed(pb::SaveTariffDraftRequest { toml: broken }, &office))
        .await
        .err()
        .ok_or_else(|| anyhow::anyhow!("a float price was accepted"))?;
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("float"), "{}", refused.message());
    let mut raised = published.toml.clone();
    let first_version = raised
        .find("[[versions]]")
        .ok_or_else(|| anyhow::anyhow!("no versions in {raised}"))?;
    let version = raised[first_version..].to_owned();
    raised.push('\n');
    raised.push_str(
        &version
            .replace("2014-09-01", "2030-01-01")
            .replace("\"3.00\"", "\"3.20\""),
    );
    billing
        .save_tariff_draft(authed(pb::SaveTariffDraftRequest { toml: raised }, &office))
        .await?;
    let quote = billing
        .quote_tariff(authed(
            pb::QuoteTariffRequest {
                code: "shanghai-2014".into(),
                draft: true,
                volume: "100".into(),
                from: "2030-02-01".into(),
                ..Default::default()
            },
            &office,
        ))
        .await?
        .into_inner();
    assert_eq!(quote.total, "320.00");
    billing
        .publish_tariff(authed(
            pb::PublishTariffRequest {
                code: "shanghai-2014".into(),
                note: "2030年调价".into(),
            },
            &office,
        ))
        .await?;
    let current = billing
        .quote_tariff(authed(
            pb::QuoteTariffRequest {
                code: "shanghai-2014".into(),
                volume: "100".into(),
                from: "2024-04-01".into(),
                ..Default::default()
            },
            &office,
        ))
        .await?
        .into_inner();
    assert_eq!(current.total, "300.00");

    // Three accounts in a route book, read from the sheet.
    let mut account_nos = Vec::new();
    for (serial, name) in [(1, "王芳"), (2, "李建国"), (3, "陈小明")] {
        let opened = archive
            .open_account(authed(open_request(name, serial), &office))
            .await?
            .into_inner();
        account_nos.push(opened.account.map(|a| a.account_no).unwrap_or_default());
    }
    billing
        .save_route_book(authed(
            pb::SaveRouteBookRequest {
                code: "PD-01".into(),
                name: "浦东阳光花园".into(),
                area: "浦东新区".into(),
                reader: "liqiang".into(),
                account_nos: account_nos.clone(),
            },
            &office,
        ))
        .await?;
    let sheet = billing
        .get_reading_sheet(authed(
            pb::GetReadingSheetRequest {
                route_book: "PD-01".into(),
            },
            &field,
        ))
        .await?
        .into_inner();
    let order: Vec<&str> = sheet.rows.iter().map(|r| r.account_no.as_str()).collect();
    assert_eq!(
        order,
        account_nos.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(sheet.rows[0].last_value, "0.000");
    let reading = |row: usize, value: &str| pb::ReadingInput {
        account_id: sheet.rows[row].account_id,
        value: value.into(),
        read_at: at("2024-03-31"),
        source: String::new(),
        idempotency_key: format!("sheet-{row}-{value}"),
    };
    let results = billing
        .record_readings(authed(
            pb::RecordReadingsRequest {
                readings: vec![reading(0, "120"), reading(1, "-5"), reading(2, "400")],
            },
            &field,
        ))
        .await?
        .into_inner()
        .results;
    assert_eq!(results[0].status, "valid");
    assert_eq!(results[0].consumption, "120");
    assert!(results[1].error.contains("negative"), "{:?}", results[1]);
    assert_eq!(results[2].status, "valid");

    // Field staff read meters but do not bill.
    let denied = billing
        .run_billing(authed(
            pb::RunBillingRequest {
                period: "2024-03".into(),
                ..Default::default()
            },
            &field,
        ))
        .await
        .err();
    assert_eq!(denied.map(|s| s.code()), Some(Code::PermissionDenied));
    let (summary, progress) = run_billing(&mut billing, &office, "2024-03").await?;
    assert!(progress >= 1);
    assert_eq!(summary.status, "done");
    assert_eq!(summary.classes.len(), 1);
    // 120 × 3.00 + (310 × 3.00 + 90 × 3.30) = 360.00 + 1227.00.
    assert_eq!(
        (summary.classes[0].bills, summary.classes[0].amount.as_str()),
        (2, "1587.00")
    );
    assert_eq!(summary.skips.len(), 1);
    assert_eq!(summary.skips[0].reason, "no reading this period");

    let bills = billing
        .list_bills(authed(
            pb::ListBillsRequest {
                account_id: sheet.rows[2].account_id,
            },
            &office,
        ))
        .await?
        .into_inner()
        .bills;
    assert_eq!(bills.len(), 1);
    let bill = &bills[0];
    assert_eq!(
        (
            bill.previous_value.as_str(),
            bill.current_value.as_str(),
            bill.amount.as_str()
        ),
        ("", "400.000", "1227.00")
    );
    let lines: Vec<(i32, &str, &str, &str)> = bill
        .lines
        .iter()
        .map(|l| {
            (
                l.tier,
                l.volume.as_str(),
                l.unit_price.as_str(),
                l.amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (1, "310.000", "3.0000", "930.00"),
            (2, "90.000", "3.3000", "297.00")
        ]
    );

    // A wrong bill is cancelled with a reason and billed again.
    let cancelled = billing
        .cancel_bill(authed(
            pb::CancelBillRequest {
                bill_id: bill.id,
                reason: "抄表员录入错误".into(),
            },
            &office,
        ))
        .await?
        .into_inner();
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.revision, 1);
    let again = billing
        .cancel_bill(authed(
            pb::CancelBillRequest {
                bill_id: bill.id,
                reason: "again".into(),
            },
            &office,
        ))
        .await
        .err()
        .ok_or_else(|| anyhow::anyhow!("a superseded revision was cancelled"))?;
    assert_eq!(again.code(), Code::Aborted, "{}", reason(&again));
    let (summary, _) = run_billing(&mut billing, &office, "2024-03").await?;
    assert_eq!(
        summary.classes[0].bills, 1,
        "only the cancelled period is billed again"
    );
    let bills = billing
        .list_bills(authed(
            pb::ListBillsRequest {
                account_id: sheet.rows[2].account_id,
            },
            &office,
        ))
        .await?
        .into_inner()
        .bills;
    let revisions: Vec<(i32, bool, &str)> = bills
        .iter()
        .map(|b| (b.revision, b.cancelled, b.amount.as_str()))
        .collect();
    assert_eq!(
        revisions,
        [
            (2, false, "1227.00"),
            (1, true, "0.00"),
            (0, false, "1227.00")
        ]
    );

    // The IoT feed records each meter and moment once.
    let meter_no = sheet.rows[0].meter_no.clone();
    let feed = pb::FeedIotReadingsRequest {
        readings: vec![pb::IotReading {
            meter_no: meter_no.clone(),
            read_at: at("2024-04-02"),
            value: "125".into(),
        }],
    };
    let first = billing
        .feed_iot_readings(authed(feed.clone(), &office))
        .await?
        .into_inner();
    let second = billing
        .feed_iot_readings(authed(feed, &office))
        .await?
        .into_inner();
    assert_eq!((first.recorded, second.duplicates), (1, 1));

    // The period's bills in Excel.
    let mut stream = billing
        .export_bills(authed(
            pb::ExportBillsRequest {
                period: "2024-03".into(),
            },
            &office,
        ))
        .await?
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await? {
        bytes.extend_from_slice(&chunk.data);
    }
    let work = tempfile::tempdir()?;
    let path = work.path().join("bills.xlsx");
    std::fs::write(&path, bytes)?;
    let mut workbook = open_workbook_auto(&path)?;
    let range = workbook.worksheet_range("账单 2024-03")?;
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows[0][0], "户号");
    assert_eq!(rows.len(), 5, "header + 2 bills + cancellation + re-bill");
    let amounts: Vec<&str> = rows[1..].iter().map(|r| r[9].as_str()).collect();
    assert_eq!(amounts.iter().filter(|a| **a == "1227.00").count(), 2);

    // What if tier 1 had cost 3.10 all along? 120 m³: +12.00; 310 m³ of
    // tier 1 in the 400 m³ bill: +31.00. Nothing is written.
    let now = billing
        .get_tariff(authed(
            pb::GetTariffRequest {
                code: "shanghai-2014".into(),
                draft: false,
            },
            &office,
        ))
        .await?
        .into_inner();
    billing
        .save_tariff_draft(authed(
            pb::SaveTariffDraftRequest {
                toml: now.toml.replacen("\"3.00\"", "\"3.10\"", 1),
            },
            &office,
        ))
        .await?;
    let what_if = pb::TariffWhatIfRequest {
        code: "shanghai-2014".into(),
        from_period: "2024-01".into(),
        to_period: "2024-12".into(),
    };
    let report = billing
        .tariff_what_if(authed(what_if.clone(), &office))
        .await?
        .into_inner();
    assert_eq!(
        (
            report.bills,
            report.current.as_str(),
            report.draft.as_str(),
            report.change.as_str()
        ),
        (2, "1587.00", "1630.00", "43.00")
    );
    let bands: Vec<(&str, i64)> = report
        .bands
        .iter()
        .filter(|b| b.accounts > 0)
        .map(|b| (b.band.as_str(), b.accounts))
        .collect();
    assert_eq!(bands, [("增加 10–50 元", 2)]);
    let mut stream = billing
        .export_tariff_what_if(authed(what_if, &office))
        .await?
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await? {
        bytes.extend_from_slice(&chunk.data);
    }
    let impact = work.path().join("impact.xlsx");
    std::fs::write(&impact, bytes)?;
    let mut workbook = open_workbook_auto(&impact)?;
    let range = workbook.worksheet_range("调价测算")?;
    assert_eq!(range.height(), 4, "header, two accounts, total");

    // No late-fee rule in the preset: the counter sees zero and why.
    let fees = billing
        .list_late_fees(authed(
            pb::ListLateFeesRequest {
                account_id: sheet.rows[0].account_id,
                as_of: "2024-06-30".into(),
            },
            &office,
        ))
        .await?
        .into_inner();
    assert_eq!(fees.total, "0.00");
    assert!(fees.fees[0].note.contains("no late-fee rule"));
    Ok(())
}
