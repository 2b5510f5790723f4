//! The payment channels the counter talks to, and the reconciler that
//! resolves outcomes nobody heard.
//!
//! This build ships simulators only: no channel's production API is
//! reachable from here, so every adapter is the simulator behind the same
//! trait a real WeChat Pay / Alipay / acquirer adapter implements.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use gascis_common::Money;

use super::payments::{self, Settlement};
use crate::{
    channels::{
        gateway::{ChargeOutcome, ChargeRequest, PaymentGateway, QueryOutcome},
        simulator::SimulatedGateway,
    },
    db::PgPool,
    error::{Error, Result},
};

/// The gateway of each channel, and the secret channels sign their
/// notifications with.
pub struct Gateways {
    by_channel: HashMap<String, Arc<dyn PaymentGateway>>,
    simulators: HashMap<String, Arc<SimulatedGateway>>,
    notification_secret: Vec<u8>,
}

impl Gateways {
    /// Simulated WeChat, Alipay, online and bank-agent channels sharing one
    /// notification secret.
    pub fn simulated(secret: &[u8]) -> Gateways {
        let mut by_channel: HashMap<String, Arc<dyn PaymentGateway>> = HashMap::new();
        let mut simulators = HashMap::new();
        for channel in ["wechat", "alipay", "online", "bank_agent"] {
            let simulator = Arc::new(SimulatedGateway::new(channel, secret));
            by_channel.insert(channel.to_owned(), simulator.clone());
            simulators.insert(channel.to_owned(), simulator);
        }
        Gateways {
            by_channel,
            simulators,
            notification_secret: secret.to_vec(),
        }
    }

    pub fn gateway(&self, channel: &str) -> Result<Arc<dyn PaymentGateway>> {
        self.by_channel.get(channel).cloned().ok_or_else(|| {
            Error::Refused(format!(
                "no payment gateway is configured for channel {channel}"
            ))
        })
    }

    /// The simulator of a channel (tests and the demo drive it).
    pub fn simulator(&self, channel: &str) -> Option<Arc<SimulatedGateway>> {
        self.simulators.get(channel).cloned()
    }

    pub fn notification_secret(&self) -> &[u8] {
        &self.notification_secret
    }
}

/// Charges through a gateway, giving up after `timeout`: the answer is then
/// unknown (the charge may still have happened — the reconciler asks).
pub async fn charge(
    gateway: Arc<dyn PaymentGateway>,
    request: ChargeRequest,
    timeout: Duration,
) -> ChargeOutcome {
    let call = tokio::task::spawn_blocking(move || gateway.charge(&request));
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join_error)) => ChargeOutcome::Unknown {
            detail: format!("gateway call failed: {join_error}"),
        },
        Err(_) => ChargeOutcome::Unknown {
            detail: format!("no answer within {} ms", timeout.as_millis()),
        },
    }
}

pub fn settlement_of(outcome: &ChargeOutcome) -> Settlement {
    match outcome {
        ChargeOutcome::Paid { channel_ref, .. } => Settlement::Paid {
            reference: channel_ref.clone(),
        },
        ChargeOutcome::Declined { code, message } => {
            Settlement::Declined(format!("{message} ({code})"))
        }
        ChargeOutcome::Unknown { detail } => {
            Settlement::Unknown(format!("outcome unknown, will be reconciled: {detail}"))
        }
    }
}

/// What a reconciliation pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub posted: i64,
    pub declined: i64,
    pub still_unknown: i64,
}

/// Asks the gateways about every payment still pending or unknown that is
/// older than `settle_after` and settles what they answer. An answer that
/// does not come leaves the payment unknown for the next pass.
pub async fn reconcile(
    pool: &PgPool,
    gateways: &Gateways,
    settings: &super::Settings,
    settle_after: chrono::Duration,
) -> Result<Reconciled> {
    let cutoff: DateTime<Utc> = Utc::now() - settle_after;
    let pool_for_list = pool.clone();
    let open = tokio::task::spawn_blocking(move || -> Result<Vec<payments::PaymentRow>> {
        let mut connection = crate::api::connection(&pool_for_list)?;
        payments::unresolved(&mut connection, cutoff)
    })
    .await
    .map_err(|error| Error::Internal(format!("reconcile: {error}")))??;
    let mut done = Reconciled::default();
    let timeout = Duration::from_millis(settings.gateway_timeout_ms);
    for payment in open {
        let gateway = gateways.gateway(&payment.channel)?;
        let order_no = payment.payment_no.clone();
        let call = tokio::task::spawn_blocking(move || gateway.query(&order_no));
        let answer = match tokio::time::timeout(timeout, call).await {
            Ok(Ok(answer)) => answer,
            _ => QueryOutcome::Unknown {
                detail: "no answer".to_owned(),
            },
        };
        let settlement = match answer {
            QueryOutcome::Paid {
                channel_ref,
                amount,
                ..
            } => {
                let ours = Money::try_from_decimal(payment.amount).ok();
                if ours != Some(amount) {
                    // Never post a figure the two sides disagree on.
                    tracing::error!(payment = %payment.payment_no, %amount, "channel reports another amount");
                    done.still_unknown += 1;
                    continue;
                }
                done.posted += 1;
                Settlement::Paid {
                    reference: channel_ref,
                }
            }
            QueryOutcome::NotPaid => {
                done.declined += 1;
                Settlement::Declined("the channel reports it was not paid".to_owned())
            }
            QueryOutcome::Unknown { detail } => {
                done.still_unknown += 1;
                Settlement::Unknown(format!("outcome unknown, will be reconciled: {detail}"))
            }
        };
        let pool = pool.clone();
        let settings = settings.clone();
        let id = payment.id;
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut connection = crate::api::connection(&pool)?;
            payments::settle(&mut connection, &settings, id, &settlement).map(|_| ())
        })
        .await
        .map_err(|error| Error::Internal(format!("reconcile: {error}")))??;
    }
    Ok(done)
}
