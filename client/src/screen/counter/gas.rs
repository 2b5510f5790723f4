//! 购气: gas for an IC-card meter, sold from the keyboard. The card is read
//! when the panel opens; the cashier types a volume or an amount (F7
//! switches) and sees the server's quote with its tier lines as they type;
//! F5/F6 choose cash or bank card; Enter pays. The answer says what to
//! write: the reader writes it and the card read back is reported. A failed
//! write leaves the purchase paid and not on the card: 补气 (F10) writes
//! the same purchase again, charging nothing.
//!
//! Like a payment, every attempt has an idempotency key kept for resends:
//! an answer lost on the way back is fetched by sending the same request.

use std::str::FromStr;

use gascis_common::Money;
use gascis_common::card::{CardError, CardState};
use gascis_common::proto::v1 as pb;
use gascis_common::tariff::Volume;

use super::payment::{Channel, is_uncertain, wire_money};
use crate::api::ApiError;
use crate::api::counter::card_to_wire;

/// Input ids, for focus and tests.
pub const QUANTITY_INPUT: &str = "counter-gas-quantity";
pub const TENDERED_INPUT: &str = "counter-gas-tendered";
pub const REFERENCE_INPUT: &str = "counter-gas-reference";

/// What the typed quantity means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum By {
    /// m³, priced across the tiers.
    #[default]
    Volume,
    /// CNY, as much gas as it buys.
    Amount,
}

/// What is wrong with the panel, for the cashier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoCard,
    QuantityMissing,
    QuantityInvalid,
    TenderedInvalid,
    TenderedShort,
    ReferenceMissing,
    /// Not priced yet, or the price failed.
    NoQuote,
    /// The card cannot take gas now; the server's reason.
    Blocked(String),
}

/// The server's price for what is typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Quote {
    #[default]
    None,
    Asking(pb::QuoteGasPurchaseRequest),
    Quoted {
        asked: pb::QuoteGasPurchaseRequest,
        quote: Box<pb::GasQuote>,
    },
    Failed(ApiError),
}

/// Where the sale stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Being filled in; `problem` is the server's refusal of the last try.
    Editing {
        problem: Option<ApiError>,
    },
    Paying {
        request: pb::PurchaseGasRequest,
    },
    /// No answer came: only the same request may go again.
    Unconfirmed {
        request: pb::PurchaseGasRequest,
        error: ApiError,
    },
    /// Paid; the reader is writing (a 补气 when `rewrite`).
    Writing {
        purchase: Box<pb::GasPurchase>,
        rewrite: bool,
    },
    /// The write did not reach the card: the purchase stays paid, 补气.
    WriteFailed {
        purchase: Box<pb::GasPurchase>,
        error: String,
    },
    /// 补气 asked for this purchase.
    Rewriting {
        purchase: Box<pb::GasPurchase>,
    },
    /// On the card.
    Written {
        purchase: Box<pb::GasPurchase>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GasForm {
    pub account_id: i64,
    /// The card as read when the panel opened (F2 reads it again).
    pub card: Option<Result<CardState, CardError>>,
    pub by: By,
    pub quantity: String,
    pub channel: Channel,
    pub tendered: String,
    pub reference: String,
    pub key: String,
    pub attempted: bool,
    pub quote: Quote,
    pub stage: Stage,
    /// 补卡 done here: what went on the new card.
    pub reissued: Option<Box<pb::CardIssue>>,
}

fn parse_money(text: &str) -> Option<Money> {
    Money::from_str(text.trim()).ok()
}

impl GasForm {
    pub fn new(account_id: i64, key: String) -> Self {
        GasForm {
            account_id,
            card: None,
            by: By::Volume,
            quantity: String::new(),
            channel: Channel::Cash,
            tendered: String::new(),
            reference: String::new(),
            key,
            attempted: false,
            quote: Quote::None,
            stage: Stage::Editing { problem: None },
            reissued: None,
        }
    }

    pub fn is_editable(&self) -> bool {
        matches!(self.stage, Stage::Editing { .. })
    }

    /// Nothing is in flight or waiting: the panel may close.
    pub fn is_idle(&self) -> bool {
        matches!(self.stage, Stage::Editing { .. } | Stage::Written { .. })
    }

    /// No request or card write is in flight (补卡 may start, also after a
    /// failed write: the new card carries the paid gas).
    pub fn is_settled(&self) -> bool {
        self.is_idle() || matches!(self.stage, Stage::WriteFailed { .. })
    }

    fn card(&self) -> Option<&CardState> {
        self.card.as_ref().and_then(|card| card.as_ref().ok())
    }

    /// The quantity as the proto asks for it.
    pub fn gas_request(&self) -> Result<pb::GasRequest, Problem> {
        let text = self.quantity.trim();
        if text.is_empty() {
            return Err(Problem::QuantityMissing);
        }
        match self.by {
            By::Volume => match Volume::from_str(text) {
                Ok(volume) if !volume.is_zero() => Ok(pb::GasRequest {
                    volume_m3: volume.to_string(),
                    amount: String::new(),
                }),
                _ => Err(Problem::QuantityInvalid),
            },
            By::Amount => match parse_money(text) {
                Some(amount) if amount > Money::ZERO => Ok(pb::GasRequest {
                    volume_m3: String::new(),
                    amount: amount.to_string(),
                }),
                _ => Err(Problem::QuantityInvalid),
            },
        }
    }

    /// The quote request for what is typed, when there is one to ask.
    pub fn quote_request(&self) -> Option<pb::QuoteGasPurchaseRequest> {
        let card = self.card()?;
        let request = self.gas_request().ok()?;
        Some(pb::QuoteGasPurchaseRequest {
            account_id: self.account_id,
            card: Some(card_to_wire(card)),
            request: Some(request),
        })
    }

    /// The quote of what is typed now; a quote of something else is stale.
    pub fn current_quote(&self) -> Option<&pb::GasQuote> {
        match &self.quote {
            Quote::Quoted { asked, quote } if Some(asked) == self.quote_request().as_ref() => {
                Some(quote)
            }
            _ => None,
        }
    }

    /// What the customer pays now, once priced.
    pub fn cash_due(&self) -> Option<Money> {
        self.current_quote()
            .map(|quote| wire_money(&quote.cash_due))
    }

    pub fn change(&self) -> Option<Money> {
        if self.channel != Channel::Cash || self.tendered.trim().is_empty() {
            return None;
        }
        parse_money(&self.tendered)?
            .checked_sub(self.cash_due()?)
            .filter(|change| !change.is_negative())
    }

    /// The first thing that stops the sale.
    pub fn problem(&self) -> Option<Problem> {
        if self.card().is_none() {
            return Some(Problem::NoCard);
        }
        if let Err(problem) = self.gas_request() {
            return Some(problem);
        }
        let Some(quote) = self.current_quote() else {
            return Some(Problem::NoQuote);
        };
        if !quote.blocked_reason.is_empty() {
            return Some(Problem::Blocked(quote.blocked_reason.clone()));
        }
        match self.channel {
            Channel::Cash if !self.tendered.trim().is_empty() => {
                match (parse_money(&self.tendered), self.cash_due()) {
                    (None, _) => return Some(Problem::TenderedInvalid),
                    (Some(tendered), Some(due)) if tendered < due => {
                        return Some(Problem::TenderedShort);
                    }
                    _ => {}
                }
            }
            Channel::BankCard if self.reference.trim().is_empty() => {
                return Some(Problem::ReferenceMissing);
            }
            _ => {}
        }
        None
    }

    /// The purchase request, or what stops it.
    pub fn to_request(&self) -> Result<pb::PurchaseGasRequest, Problem> {
        if let Some(problem) = self.problem() {
            return Err(problem);
        }
        let card = self.card().ok_or(Problem::NoCard)?;
        Ok(pb::PurchaseGasRequest {
            idempotency_key: self.key.clone(),
            account_id: self.account_id,
            card: Some(card_to_wire(card)),
            request: Some(self.gas_request()?),
            channel: self.channel.code().to_owned(),
            tendered: match self.channel {
                Channel::Cash => parse_money(&self.tendered)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            },
            reference: match self.channel {
                Channel::BankCard => self.reference.trim().to_owned(),
                _ => String::new(),
            },
        })
    }

    /// Edits clear the last refusal.
    pub fn edited(&mut self) {
        if let Stage::Editing { problem } = &mut self.stage {
            *problem = None;
        }
    }

    /// Pay was pressed: the request to send, or `None` (problems shown).
    pub fn pay(&mut self) -> Option<pb::PurchaseGasRequest> {
        if !self.is_editable() {
            return None;
        }
        self.attempted = true;
        let request = self.to_request().ok()?;
        self.stage = Stage::Paying {
            request: request.clone(),
        };
        Some(request)
    }

    /// The same request again after a lost answer.
    pub fn retry(&mut self) -> Option<pb::PurchaseGasRequest> {
        let Stage::Unconfirmed { request, .. } = &self.stage else {
            return None;
        };
        let request = request.clone();
        self.stage = Stage::Paying {
            request: request.clone(),
        };
        Some(request)
    }

    /// The server's answer to the purchase sent with `key`: the purchase to
    /// write, or `None` (refused or unconfirmed, now shown).
    pub fn answered(
        &mut self,
        key: &str,
        result: Result<pb::GasPurchaseResult, ApiError>,
        fresh_key: impl FnOnce() -> String,
    ) -> Option<pb::GasPurchaseResult> {
        let Stage::Paying { request } = &self.stage else {
            return None;
        };
        if request.idempotency_key != key {
            return None;
        }
        let request = request.clone();
        match result {
            Ok(result) => {
                let purchase = result.purchase.clone().unwrap_or_default();
                self.stage = Stage::Writing {
                    purchase: Box::new(purchase),
                    rewrite: false,
                };
                Some(result)
            }
            Err(error) if is_uncertain(&error) => {
                self.stage = Stage::Unconfirmed { request, error };
                None
            }
            Err(error) => {
                // Refused: nothing was charged under this key.
                self.key = fresh_key();
                self.stage = Stage::Editing {
                    problem: Some(error),
                };
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn form() -> GasForm {
        let mut form = GasForm::new(5, "gas-1".into());
        form.card = Some(Ok(CardState {
            card_no: "IC1".into(),
            issue_count: 1,
            purchase_count: 2,
            gas_on_card: Volume::from_m3(0),
        }));
        form
    }

    #[test]
    fn a_sale_needs_a_quote_of_what_is_typed() {
        let mut form = form();
        assert_eq!(form.problem(), Some(Problem::QuantityMissing));
        form.quantity = "2O".into();
        assert_eq!(form.problem(), Some(Problem::QuantityInvalid));
        form.quantity = "20".into();
        assert_eq!(form.problem(), Some(Problem::NoQuote));
        let asked = form.quote_request().unwrap();
        assert_eq!(asked.request.as_ref().unwrap().volume_m3, "20.000");
        form.quote = Quote::Quoted {
            asked,
            quote: Box::new(pb::GasQuote {
                cash_due: "52.20".into(),
                ..pb::GasQuote::default()
            }),
        };
        assert_eq!(form.problem(), None);
        form.tendered = "50".into();
        assert_eq!(form.problem(), Some(Problem::TenderedShort));
        form.tendered = "100".into();
        assert_eq!(form.change(), Some(Money::from_fen(4780)));
        let request = form.pay().unwrap();
        assert_eq!(
            (request.tendered.as_str(), request.channel.as_str()),
            ("100.00", "cash")
        );
        // Another quantity makes the quote stale.
        form.stage = Stage::Editing { problem: None };
        form.quantity = "21".into();
        assert_eq!(form.problem(), Some(Problem::NoQuote));
    }

    #[test]
    fn a_lost_answer_keeps_the_key_a_refusal_gets_a_new_one() {
        let mut form = form();
        form.quantity = "20".into();
        let asked = form.quote_request().unwrap();
        form.quote = Quote::Quoted {
            asked,
            quote: Box::new(pb::GasQuote::default()),
        };
        let request = form.pay().unwrap();
        assert!(
            form.answered(
                "gas-1",
                Err(ApiError::Unreachable("timeout".into())),
                || "gas-2".into()
            )
            .is_none()
        );
        assert_eq!(form.retry(), Some(request));
        form.answered("gas-1", Err(ApiError::Refused("no".into())), || {
            "gas-2".into()
        });
        assert_eq!(form.key, "gas-2");
        assert!(form.is_editable());
    }
}
