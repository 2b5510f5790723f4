use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use gascis_common::{
    proto::v1::{self as pb, billing_service_server::BillingService},
    tariff::{self, AccountAttributes, Consumption, CustomerType, Tariff, Volume},
};
use rust_decimal::Decimal;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{SharedState, timestamp, with_connection};
use crate::{
    archive::{self, Actor},
    auth::{
        Caller,
        audit::{self, NewAuditEvent},
    },
    billing::{
        readings::{self, NewReading, Review, Source},
        route_books,
        run::{self, Period, Scope},
        tariffs,
    },
    error::{Error, Result},
    export,
};

pub struct BillingApi {
    pub state: SharedState,
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user_id: Some(caller.user_id),
        username: caller.username.clone(),
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn decimal(value: &str, field: &str) -> Result<Decimal> {
    Decimal::from_str_exact(value.trim())
        .map_err(|_| Error::invalid(field, format!("'{value}' is not a decimal number")))
}

fn date(value: &str, field: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, format!("'{value}' is not a date like 2024-01-31")))
}

fn at(value: Option<&prost_types::Timestamp>, field: &str) -> Result<DateTime<Utc>> {
    match value {
        None => Ok(Utc::now()),
        Some(ts) => DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).unwrap_or(0))
            .ok_or_else(|| Error::invalid(field, "is not a valid time")),
    }
}

fn parse_tariff(toml: &str) -> Result<Tariff> {
    Tariff::from_toml(toml).map_err(|error| Error::invalid("toml", error.to_string()))
}

fn line_to_wire(line: &tariff::BillLine) -> pb::BillLine {
    pb::BillLine {
        kind: line.kind.as_str().to_owned(),
        tier: line.tier.and_then(|t| i32::try_from(t).ok()).unwrap_or(0),
        season: line.season.clone().unwrap_or_default(),
        name: line.name.clone().unwrap_or_default(),
        volume: line.volume.to_string(),
        unit_price: text(line.unit_price),
        amount: line.amount.to_string(),
        version_effective_from: line.version_effective_from.to_string(),
        from: line.from.to_string(),
        to: line.to.to_string(),
        days: i32::try_from(line.days).unwrap_or(i32::MAX),
    }
}

fn bill_to_wire(bill: run::BillView, lines: Vec<run::LineView>) -> pb::Bill {
    pb::Bill {
        id: bill.id,
        account_id: bill.account_id,
        period: bill.period,
        revision: bill.revision,
        cancelled: bill.cancelled,
        from: bill.from_date.to_string(),
        to: bill.to_date.to_string(),
        previous_value: text(bill.previous_value),
        current_value: text(bill.current_value),
        volume: bill.volume.to_string(),
        estimated: bill.estimated,
        amount: bill.amount.to_string(),
        net: bill.net.to_string(),
        tax: bill.tax.to_string(),
        tariff_code: bill.tariff_code,
        tariff_revision_id: bill.tariff_revision_id,
        cycle_to_date: bill.cycle_to_date.to_string(),
        due_on: bill.due_on.to_string(),
        lines: lines
            .into_iter()
            .map(|line| pb::BillLine {
                kind: line.kind,
                tier: line.tier.map(i32::from).unwrap_or(0),
                season: line.season,
                name: line.name,
                volume: line.volume.to_string(),
                unit_price: text(line.unit_price),
                amount: line.amount.to_string(),
                version_effective_from: line.version_effective_from.to_string(),
                from: line.from_date.to_string(),
                to: line.to_date.to_string(),
                days: line.days,
            })
            .collect(),
        reason: bill.reason,
    }
}

fn recorded_to_wire(account_id: i64, outcome: Result<readings::Recorded>) -> pb::ReadingResult {
    match outcome {
        Ok(recorded) => pb::ReadingResult {
            account_id,
            reading_id: recorded.id,
            status: recorded.status,
            consumption: text(recorded.consumption),
            anomalies: recorded.anomalies,
            error: String::new(),
            duplicate: recorded.duplicate,
        },
        Err(error) => pb::ReadingResult {
            account_id,
            error: error.to_string(),
            ..Default::default()
        },
    }
}

fn route_book_to_wire(book: route_books::RouteBook) -> pb::RouteBook {
    pb::RouteBook {
        code: book.code,
        name: book.name,
        area: book.area,
        reader: book.reader,
        accounts: i32::try_from(book.accounts).unwrap_or(i32::MAX),
    }
}

#[tonic::async_trait]
impl BillingService for BillingApi {
    async fn list_tariffs(
        &self,
        _request: Request<pb::ListTariffsRequest>,
    ) -> std::result::Result<Response<pb::ListTariffsResponse>, Status> {
        let rows = with_connection(&self.state, tariffs::list).await?;
        Ok(Response::new(pb::ListTariffsResponse {
            tariffs: rows
                .into_iter()
                .map(|(row, tariff)| pb::TariffSummary {
                    code: row.code,
                    name: row.name,
                    is_default: row.is_default,
                    revision_id: row.revision_id.unwrap_or(0),
                    published_by: row.published_by.unwrap_or_default(),
                    published_at: row.published_at.map(timestamp),
                    has_draft: row.has_draft,
                    version_dates: tariff
                        .as_ref()
                        .map(|t| {
                            t.versions
                                .iter()
                                .map(|v| v.effective_from.to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                    notes: tariff.map(|t| t.notes).unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn get_tariff(
        &self,
        request: Request<pb::GetTariffRequest>,
    ) -> std::result::Result<Response<pb::TariffDocument>, Status> {
        let input = request.into_inner();
        let document = with_connection(&self.state, move |connection| {
            let (tariff, revision_id) = if input.draft {
                let draft = tariffs::draft(connection, &input.code)?.ok_or_else(|| {
                    Error::NotFound(format!("tariff '{}' has no draft", input.code))
                })?;
                (draft, 0)
            } else {
                let published = tariffs::current(connection, &input.code)?;
                (published.tariff, published.revision_id)
            };
            let toml = tariff
                .to_toml()
                .map_err(|e| Error::Internal(format!("tariff to TOML: {e}")))?;
            Ok(pb::TariffDocument {
                code: tariff.code,
                toml,
                revision_id,
                draft: input.draft,
            })
        })
        .await?;
        Ok(Response::new(document))
    }

    async fn save_tariff_draft(
        &self,
        request: Request<pb::SaveTariffDraftRequest>,
    ) -> std::result::Result<Response<pb::TariffDocument>, Status> {
        let caller = Caller::of(&request)?.clone();
        let tariff = parse_tariff(&request.into_inner().toml)?;
        let document = with_connection(&self.state, move |connection| {
            tariffs::save_draft(connection, &caller.username, &tariff)?;
            Ok(pb::TariffDocument {
                code: tariff.code.clone(),
                toml: tariff
                    .to_toml()
                    .map_err(|e| Error::Internal(format!("tariff to TOML: {e}")))?,
                revision_id: 0,
                draft: true,
            })
        })
        .await?;
        Ok(Response::new(document))
    }

    async fn publish_tariff(
        &self,
        request: Request<pb::PublishTariffRequest>,
    ) -> std::result::Result<Response<pb::TariffDocument>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let document = with_connection(&self.state, move |connection| {
            let draft = tariffs::draft(connection, &input.code)?.ok_or_else(|| {
                Error::NotFound(format!("tariff '{}' has no draft to publish", input.code))
            })?;
            let revision_id = tariffs::publish(
                connection,
                &caller.username,
                &draft,
                input.note.trim(),
                archive::today(),
            )?;
            audit::record(
                connection,
                NewAuditEvent {
                    kind: "tariff_published",
                    username: &caller.username,
                    user_id: Some(caller.user_id),
                    rpc: "/gascis.v1.BillingService/PublishTariff",
                    detail: &format!(
                        "{} revision {revision_id}: {}",
                        draft.code,
                        input.note.trim()
                    ),
                    peer: &caller.peer,
                },
            )?;
            Ok(pb::TariffDocument {
                code: draft.code.clone(),
                toml: draft
                    .to_toml()
                    .map_err(|e| Error::Internal(format!("tariff to TOML: {e}")))?,
                revision_id,
                draft: false,
            })
        })
        .await?;
        Ok(Response::new(document))
    }

    async fn set_default_tariff(
        &self,
        request: Request<pb::SetDefaultTariffRequest>,
    ) -> std::result::Result<Response<pb::SetDefaultTariffResponse>, Status> {
        let code = request.into_inner().code;
        with_connection(&self.state, move |connection| {
            tariffs::set_default(connection, &code)
        })
        .await?;
        Ok(Response::new(pb::SetDefaultTariffResponse {}))
    }

    async fn quote_tariff(
        &self,
        request: Request<pb::QuoteTariffRequest>,
    ) -> std::result::Result<Response<pb::TariffQuote>, Status> {
        let input = request.into_inner();
        let volume = Volume::from_str(input.volume.trim())
            .map_err(|e| Error::invalid("volume", e.to_string()))?;
        let cycle_to_date = if input.cycle_to_date.trim().is_empty() {
            Volume::from_m3(0)
        } else {
            Volume::from_str(input.cycle_to_date.trim())
                .map_err(|e| Error::invalid("cycle_to_date", e.to_string()))?
        };
        let from = if input.from.trim().is_empty() {
            archive::today()
        } else {
            date(&input.from, "from")?
        };
        let to = if input.to.trim().is_empty() {
            from
        } else {
            date(&input.to, "to")?
        };
        let customer_type = match input.customer_type.trim() {
            "" | "residential" => CustomerType::Residential,
            "commercial" => CustomerType::Commercial,
            "industrial" => CustomerType::Industrial,
            "public_welfare" => CustomerType::PublicWelfare,
            other => {
                return Err(Error::invalid(
                    "customer_type",
                    format!(
                        "'{other}' is not residential, commercial, industrial or public_welfare"
                    ),
                )
                .into());
            }
        };
        let attributes = AccountAttributes {
            customer_type,
            purpose: if input.purpose.trim().is_empty() {
                "cooking".to_owned()
            } else {
                input.purpose.trim().to_owned()
            },
            household_size: u32::try_from(input.household_size.max(1)).unwrap_or(1),
            low_income: input.low_income,
            flat_class: (!input.flat_class.trim().is_empty())
                .then(|| input.flat_class.trim().to_owned()),
        };
        let (code, draft) = (input.code.clone(), input.draft);
        let tariff = with_connection(&self.state, move |connection| {
            if draft {
                tariffs::draft(connection, &code)?
                    .ok_or_else(|| Error::NotFound(format!("tariff '{code}' has no draft")))
            } else {
                Ok(tariffs::current(connection, &code)?.tariff)
            }
        })
        .await?;
        let quote = tariff::quote(
            &tariff,
            &attributes,
            &Consumption {
                volume,
                from,
                to,
                cycle_to_date,
            },
        )
        .map_err(|error| Error::invalid("tariff", error.to_string()))?;
        Ok(Response::new(pb::TariffQuote {
            code: quote.tariff_code.clone(),
            lines: quote.lines.iter().map(line_to_wire).collect(),
            total: quote.total.to_string(),
            net: quote.vat.net.to_string(),
            tax: quote.vat.tax.to_string(),
            vat_rate: quote.vat.rate.to_string(),
            notes: quote.notes,
        }))
    }

    async fn list_route_books(
        &self,
        _request: Request<pb::ListRouteBooksRequest>,
    ) -> std::result::Result<Response<pb::ListRouteBooksResponse>, Status> {
        let books = with_connection(&self.state, route_books::list).await?;
        Ok(Response::new(pb::ListRouteBooksResponse {
            route_books: books.into_iter().map(route_book_to_wire).collect(),
        }))
    }

    async fn save_route_book(
        &self,
        request: Request<pb::SaveRouteBookRequest>,
    ) -> std::result::Result<Response<pb::RouteBook>, Status> {
        let input = request.into_inner();
        let book = with_connection(&self.state, move |connection| {
            route_books::save(
                connection,
                &input.code,
                &input.name,
                &input.area,
                &input.reader,
                &input.account_nos,
            )
        })
        .await?;
        Ok(Response::new(route_book_to_wire(book)))
    }

    async fn get_reading_sheet(
        &self,
        request: Request<pb::GetReadingSheetRequest>,
    ) -> std::result::Result<Response<pb::ReadingSheet>, Status> {
        let code = request.into_inner().route_book;
        let (book, rows) = with_connection(&self.state, move |connection| {
            route_books::sheet(connection, &code)
        })
        .await?;
        Ok(Response::new(pb::ReadingSheet {
            route_book: Some(route_book_to_wire(book)),
            rows: rows
                .into_iter()
                .map(|row| pb::ReadingSheetRow {
                    account_id: row.account_id,
                    account_no: row.account_no,
                    customer_name: row.customer_name,
                    address: row.address,
                    meter_no: row.meter_no,
                    digits: row.digits,
                    last_value: row.last_value.to_string(),
                    last_read_on: text(row.last_read_on),
                    daily_average: text(row.daily_average),
                })
                .collect(),
        }))
    }

    async fn record_readings(
        &self,
        request: Request<pb::RecordReadingsRequest>,
    ) -> std::result::Result<Response<pb::RecordReadingsResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        if input.readings.len() > 5000 {
            return Err(Error::invalid("readings", "at most 5000 readings per call").into());
        }
        let rules = self.state.config.billing.readings.clone();
        let results = with_connection(&self.state, move |connection| {
            let actor = actor(&caller);
            Ok(input
                .readings
                .iter()
                .map(|reading| {
                    let outcome = (|| {
                        let source = match reading.source.trim() {
                            "" | "manual" => Source::Manual,
                            "self" => Source::SelfReported,
                            other => {
                                return Err(Error::invalid(
                                    "source",
                                    format!("'{other}' is not manual or self"),
                                ));
                            }
                        };
                        readings::record(
                            connection,
                            &actor,
                            &rules,
                            &NewReading {
                                account_id: reading.account_id,
                                value: decimal(&reading.value, "value")?,
                                read_at: at(reading.read_at.as_ref(), "read_at")?,
                                source,
                                idempotency_key: (!reading.idempotency_key.trim().is_empty())
                                    .then(|| format!("entry:{}", reading.idempotency_key.trim())),
                            },
                        )
                    })();
                    recorded_to_wire(reading.account_id, outcome)
                })
                .collect())
        })
        .await?;
        Ok(Response::new(pb::RecordReadingsResponse { results }))
    }

    async fn feed_iot_readings(
        &self,
        request: Request<pb::FeedIotReadingsRequest>,
    ) -> std::result::Result<Response<pb::FeedIotReadingsResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        if input.readings.len() > 20_000 {
            return Err(Error::invalid("readings", "at most 20000 readings per call").into());
        }
        let rules = self.state.config.billing.readings.clone();
        let response = with_connection(&self.state, move |connection| {
            use diesel::{prelude::*, sql_query, sql_types::Text};
            #[derive(QueryableByName)]
            struct Account {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                account_id: i64,
            }
            let actor = actor(&caller);
            let mut response = pb::FeedIotReadingsResponse::default();
            for reading in &input.readings {
                let outcome = (|| {
                    let account: Account = sql_query(
                        "SELECT account_id FROM meters WHERE meter_no = $1 AND installed \
                         AND account_id IS NOT NULL",
                    )
                    .bind::<Text, _>(reading.meter_no.trim())
                    .get_result(connection)
                    .optional()?
                    .ok_or_else(|| {
                        Error::NotFound(format!("meter {} is not installed", reading.meter_no))
                    })?;
                    if reading.read_at.is_none() {
                        return Err(Error::invalid(
                            "read_at",
                            "the meter's timestamp is required",
                        ));
                    }
                    readings::record(
                        connection,
                        &actor,
                        &rules,
                        &NewReading {
                            account_id: account.account_id,
                            value: decimal(&reading.value, "value")?,
                            read_at: at(reading.read_at.as_ref(), "read_at")?,
                            source: Source::Iot,
                            idempotency_key: None,
                        },
                    )
                })();
                match outcome {
                    Ok(recorded) if recorded.duplicate => response.duplicates += 1,
                    Ok(recorded) => {
                        response.recorded += 1;
                        if recorded.status == "anomaly" {
                            response.anomalies += 1;
                        }
                    }
                    Err(error) => response
                        .errors
                        .push(format!("meter {}: {error}", reading.meter_no)),
                }
            }
            Ok(response)
        })
        .await?;
        Ok(Response::new(response))
    }

    async fn list_anomalies(
        &self,
        request: Request<pb::ListAnomaliesRequest>,
    ) -> std::result::Result<Response<pb::ListAnomaliesResponse>, Status> {
        let limit = match request.into_inner().limit {
            0 => 100,
            n => i64::from(n.clamp(1, 1000)),
        };
        let queue = with_connection(&self.state, move |connection| {
            readings::queue(connection, limit)
        })
        .await?;
        Ok(Response::new(pb::ListAnomaliesResponse {
            readings: queue
                .into_iter()
                .map(|r| pb::QueuedReading {
                    reading_id: r.id,
                    account_id: r.account_id,
                    account_no: r.account_no,
                    customer_name: r.customer_name,
                    read_on: r.read_on.to_string(),
                    value: r.value.to_string(),
                    consumption: text(r.consumption),
                    anomalies: r.anomalies,
                    status: r.status,
                    version: r.version,
                    source: r.source,
                })
                .collect(),
        }))
    }

    async fn review_reading(
        &self,
        request: Request<pb::ReviewReadingRequest>,
    ) -> std::result::Result<Response<pb::ReviewReadingResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let rules = self.state.config.billing.readings.clone();
        let corrected = with_connection(&self.state, move |connection| {
            use diesel::Connection;
            let actor = actor(&caller);
            let decision = match input.decision.trim() {
                "approve" => Review::Approve,
                "reject" | "correct" => Review::Reject,
                "reread" => Review::Reread,
                other => {
                    return Err(Error::invalid(
                        "decision",
                        format!("'{other}' is not approve, reject, reread or correct"),
                    ));
                }
            };
            if input.decision.trim() != "correct" {
                readings::review(
                    connection,
                    &actor,
                    input.reading_id,
                    input.version,
                    decision,
                    &input.note,
                )?;
                return Ok(None);
            }
            let value = decimal(&input.corrected_value, "corrected_value")?;
            connection.transaction(|connection| {
                use diesel::{prelude::*, sql_query, sql_types::BigInt};
                #[derive(QueryableByName)]
                struct Original {
                    #[diesel(sql_type = BigInt)]
                    account_id: i64,
                    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
                    read_at: DateTime<Utc>,
                }
                let original: Original =
                    sql_query("SELECT account_id, read_at FROM meter_readings WHERE id = $1")
                        .bind::<BigInt, _>(input.reading_id)
                        .get_result(connection)
                        .optional()?
                        .ok_or_else(|| Error::NotFound(format!("reading {}", input.reading_id)))?;
                readings::review(
                    connection,
                    &actor,
                    input.reading_id,
                    input.version,
                    Review::Reject,
                    &format!("更正为 {value}: {}", input.note.trim()),
                )?;
                let recorded = readings::record_in(
                    connection,
                    &actor,
                    &rules,
                    &NewReading {
                        account_id: original.account_id,
                        value,
                        read_at: original.read_at,
                        source: Source::Manual,
                        idempotency_key: None,
                    },
                )?;
                Ok(Some(recorded_to_wire(original.account_id, Ok(recorded))))
            })
        })
        .await?;
        Ok(Response::new(pb::ReviewReadingResponse { corrected }))
    }

    type RunBillingStream = ReceiverStream<std::result::Result<pb::BillingRunEvent, Status>>;

    async fn run_billing(
        &self,
        request: Request<pb::RunBillingRequest>,
    ) -> std::result::Result<Response<Self::RunBillingStream>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let period = Period::parse(&input.period)?;
        let scope = match (input.area.trim(), input.route_book.trim()) {
            ("", "") => Scope::All,
            (area, "") => Scope::Area(area.to_owned()),
            ("", book) => Scope::RouteBook(book.to_owned()),
            _ => {
                return Err(
                    Error::invalid("route_book", "give an area or a route book, not both").into(),
                );
            }
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        let state = std::sync::Arc::clone(&self.state);
        tokio::task::spawn_blocking(move || {
            let settings = state.config.billing.clone();
            let actor = actor(&caller);
            let outcome = (|| -> Result<pb::BillingSummary> {
                let mut connection = state
                    .pool
                    .get()
                    .map_err(|e| Error::Database(crate::db::DbError::Connect(e.to_string())))?;
                if input.preview {
                    let preview = run::preview(
                        &mut connection,
                        &actor,
                        period,
                        &scope,
                        input.estimate_missing,
                        &settings,
                    )?;
                    return Ok(summary_to_wire(
                        0,
                        period.label(),
                        "preview",
                        true,
                        preview.classes,
                        preview.skips,
                    ));
                }
                let started = run::start(
                    &mut connection,
                    &actor,
                    period,
                    &scope,
                    input.estimate_missing,
                    &settings,
                )?;
                let report = |progress: run::Progress| {
                    let event = pb::BillingRunEvent {
                        event: Some(pb::billing_run_event::Event::Progress(
                            pb::BillingProgress {
                                run_id: started.id,
                                chunks_done: i64::try_from(progress.chunks_done).unwrap_or(0),
                                chunks: i64::try_from(progress.chunks).unwrap_or(0),
                                bills: i64::try_from(progress.bills).unwrap_or(0),
                                skipped: i64::try_from(progress.skipped).unwrap_or(0),
                            },
                        )),
                    };
                    // A client that went away does not stop the run: it is
                    // the company's month-end, not one screen's.
                    let _ = sender.try_send(Ok(event));
                };
                run::work(
                    &mut connection,
                    &actor,
                    started.id,
                    &format!("api:{}", caller.username),
                    &settings,
                    &report,
                )?;
                let finished = run::find(&mut connection, started.id)?;
                Ok(summary_to_wire(
                    started.id,
                    period.label(),
                    &finished.status,
                    false,
                    run::summary(&mut connection, started.id)?,
                    run::skip_reasons(&mut connection, started.id)?,
                ))
            })();
            let event = outcome
                .map(|summary| pb::BillingRunEvent {
                    event: Some(pb::billing_run_event::Event::Summary(summary)),
                })
                .map_err(Status::from);
            let _ = sender.blocking_send(event);
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn list_bills(
        &self,
        request: Request<pb::ListBillsRequest>,
    ) -> std::result::Result<Response<pb::ListBillsResponse>, Status> {
        let account_id = request.into_inner().account_id;
        let bills = with_connection(&self.state, move |connection| {
            run::bills_of(connection, account_id)
        })
        .await?;
        Ok(Response::new(pb::ListBillsResponse {
            bills: bills
                .into_iter()
                .map(|(bill, lines)| bill_to_wire(bill, lines))
                .collect(),
        }))
    }

    async fn cancel_bill(
        &self,
        request: Request<pb::CancelBillRequest>,
    ) -> std::result::Result<Response<pb::Bill>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let bill = with_connection(&self.state, move |connection| {
            let id = run::cancel_bill(connection, &actor(&caller), input.bill_id, &input.reason)?;
            #[derive(diesel::QueryableByName)]
            struct Account {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                account_id: i64,
            }
            use diesel::RunQueryDsl;
            let account: Account = diesel::sql_query("SELECT account_id FROM bills WHERE id = $1")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .get_result(connection)?;
            run::bills_of(connection, account.account_id)?
                .into_iter()
                .find(|(bill, _)| bill.id == id)
                .map(|(bill, lines)| bill_to_wire(bill, lines))
                .ok_or_else(|| Error::Internal(format!("bill {id} went missing")))
        })
        .await?;
        Ok(Response::new(bill))
    }

    type ExportBillsStream = ReceiverStream<std::result::Result<pb::ExportChunk, Status>>;

    async fn export_bills(
        &self,
        request: Request<pb::ExportBillsRequest>,
    ) -> std::result::Result<Response<Self::ExportBillsStream>, Status> {
        let caller = Caller::of(&request)?.clone();
        let period = Period::parse(&request.into_inner().period)?.label();
        let label = period.clone();
        let (path, rows) = with_connection(&self.state, move |connection| {
            let path = super::export_path()?;
            let rows = export::bills(connection, &period, &path)?;
            audit::record(
                connection,
                NewAuditEvent {
                    kind: "bills_exported",
                    username: &caller.username,
                    user_id: Some(caller.user_id),
                    rpc: "/gascis.v1.BillingService/ExportBills",
                    detail: &format!("{rows} rows of {period}"),
                    peer: &caller.peer,
                },
            )?;
            Ok((path, rows))
        })
        .await?;
        Ok(Response::new(super::stream_file(
            path,
            format!("账单-{label}.xlsx"),
            rows,
        )))
    }

    async fn tariff_what_if(
        &self,
        request: Request<pb::TariffWhatIfRequest>,
    ) -> std::result::Result<Response<pb::TariffWhatIfReport>, Status> {
        let input = request.into_inner();
        let report =
            with_connection(&self.state, move |connection| what_if(connection, &input)).await?;
        Ok(Response::new(pb::TariffWhatIfReport {
            bills: i64::try_from(report.bills).unwrap_or(i64::MAX),
            current: report.current.to_string(),
            draft: report.draft.to_string(),
            change: (report.draft - report.current).to_string(),
            bands: report
                .bands
                .iter()
                .map(|(band, n)| pb::ImpactBand {
                    band: band.clone(),
                    accounts: i64::try_from(*n).unwrap_or(i64::MAX),
                })
                .collect(),
            unpriced: report
                .unpriced
                .iter()
                .map(|(account, reason)| format!("{account}: {reason}"))
                .collect(),
            accounts: i64::try_from(report.accounts.len()).unwrap_or(i64::MAX),
        }))
    }

    type ExportTariffWhatIfStream = ReceiverStream<std::result::Result<pb::ExportChunk, Status>>;

    async fn export_tariff_what_if(
        &self,
        request: Request<pb::TariffWhatIfRequest>,
    ) -> std::result::Result<Response<Self::ExportTariffWhatIfStream>, Status> {
        let input = request.into_inner();
        let code = input.code.clone();
        let (path, rows) = with_connection(&self.state, move |connection| {
            let report = what_if(connection, &input)?;
            let path = super::export_path()?;
            let rows = crate::billing::what_if::export(&report, &path)?;
            Ok((path, rows))
        })
        .await?;
        Ok(Response::new(super::stream_file(
            path,
            format!("调价测算-{code}.xlsx"),
            rows,
        )))
    }

    async fn list_late_fees(
        &self,
        request: Request<pb::ListLateFeesRequest>,
    ) -> std::result::Result<Response<pb::ListLateFeesResponse>, Status> {
        let input = request.into_inner();
        let as_of = if input.as_of.trim().is_empty() {
            archive::today()
        } else {
            date(&input.as_of, "as_of")?
        };
        let fees = with_connection(&self.state, move |connection| {
            crate::billing::late_fees::for_account(connection, input.account_id, as_of)
        })
        .await?;
        let total = fees
            .iter()
            .try_fold(gascis_common::Money::ZERO, |sum, f| sum.checked_add(f.fee))
            .ok_or_else(|| Error::Internal("late fees overflow".into()))?;
        Ok(Response::new(pb::ListLateFeesResponse {
            fees: fees
                .into_iter()
                .map(|f| pb::LateFee {
                    bill_id: f.bill_id,
                    period: f.period,
                    due_on: f.due_on.to_string(),
                    unpaid: f.unpaid.to_string(),
                    days: f.days,
                    fee: f.fee.to_string(),
                    note: f.note,
                })
                .collect(),
            total: total.to_string(),
        }))
    }
}

fn summary_to_wire(
    run_id: i64,
    period: String,
    status: &str,
    preview: bool,
    classes: Vec<run::ClassTotal>,
    skips: Vec<(String, i64)>,
) -> pb::BillingSummary {
    pb::BillingSummary {
        run_id,
        period,
        status: status.to_owned(),
        preview,
        classes: classes
            .into_iter()
            .map(|c| pb::BillingClassTotal {
                customer_type: c.customer_type,
                bills: c.bills,
                volume: c.volume.to_string(),
                amount: c.amount.to_string(),
            })
            .collect(),
        skips: skips
            .into_iter()
            .map(|(reason, accounts)| pb::BillingSkip { reason, accounts })
            .collect(),
    }
}

fn what_if(
    connection: &mut diesel::PgConnection,
    input: &pb::TariffWhatIfRequest,
) -> Result<crate::billing::what_if::Report> {
    let draft = tariffs::draft(connection, &input.code)?
        .ok_or_else(|| Error::NotFound(format!("tariff '{}' has no draft", input.code)))?;
    crate::billing::what_if::run(
        connection,
        &draft,
        Period::parse(&input.from_period)?,
        Period::parse(&input.to_period)?,
    )
}
