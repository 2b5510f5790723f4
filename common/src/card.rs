//! IC-card meters: what a card holds and the one interface every card
//! reader sits behind. Dozens of meter makers have their own card
//! protocols; each becomes an implementation of [`CardReader`] in the
//! client. [`SimulatedCardReader`] is an in-memory card for tests, demos
//! and training, with the same rules a real card enforces.

use crate::tariff::Volume;

/// What a reader reports about the card in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardState {
    pub card_no: String,
    /// How many times a card was issued for this account (补卡 adds one).
    pub issue_count: u32,
    /// Purchases written to this card so far.
    pub purchase_count: u32,
    /// Gas written to the card and not yet loaded into the meter.
    pub gas_on_card: Volume,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("no card in the reader")]
    NoCard,
    #[error("the card in the reader is {found}, not {expected}")]
    WrongCard { expected: String, found: String },
    #[error("the card refused purchase {seq}: it expects purchase {expected}")]
    OutOfSequence { seq: u32, expected: u32 },
    #[error("the card still holds {0} m³ not loaded into the meter")]
    GasNotLoaded(Volume),
    #[error("writing the card failed: {0}")]
    WriteFailed(String),
}

/// A card reader at the counter.
pub trait CardReader {
    /// Reads the card in the reader.
    fn read(&mut self) -> Result<CardState, CardError>;

    /// Writes purchase `seq` of `volume` to card `card_no`. A card takes
    /// only its next purchase (its count + 1), so writing the same purchase
    /// twice loads the gas once.
    fn write_purchase(
        &mut self,
        card_no: &str,
        seq: u32,
        volume: Volume,
    ) -> Result<CardState, CardError>;

    /// Writes a new card for an account (开户, 补卡) carrying the account's
    /// purchase count, and `gas` paid for but never loaded into the meter.
    fn issue(
        &mut self,
        card_no: &str,
        issue_count: u32,
        purchase_count: u32,
        gas: Volume,
    ) -> Result<CardState, CardError>;
}

/// An in-memory card and reader.
#[derive(Debug, Clone, Default)]
pub struct SimulatedCardReader {
    card: Option<CardState>,
    failures: u32,
    /// The next write reaches the card but the reader reports a failure
    /// (a card pulled out at the wrong moment).
    lose_next_answer: bool,
}

impl SimulatedCardReader {
    pub fn with_card(card: CardState) -> Self {
        SimulatedCardReader {
            card: Some(card),
            ..Default::default()
        }
    }

    pub fn insert(&mut self, card: CardState) {
        self.card = Some(card);
    }

    pub fn remove(&mut self) -> Option<CardState> {
        self.card.take()
    }

    /// The next `n` writes fail before reaching the card.
    pub fn fail_next_writes(&mut self, n: u32) {
        self.failures = n;
    }

    /// The next write reaches the card, but the answer is lost.
    pub fn lose_next_answer(&mut self) {
        self.lose_next_answer = true;
    }

    /// The customer puts the card into the meter: its gas moves in.
    pub fn load_into_meter(&mut self) -> Volume {
        match &mut self.card {
            Some(card) => std::mem::replace(&mut card.gas_on_card, Volume::from_m3(0)),
            None => Volume::from_m3(0),
        }
    }
}

impl CardReader for SimulatedCardReader {
    fn read(&mut self) -> Result<CardState, CardError> {
        self.card.clone().ok_or(CardError::NoCard)
    }

    fn write_purchase(
        &mut self,
        card_no: &str,
        seq: u32,
        volume: Volume,
    ) -> Result<CardState, CardError> {
        if self.failures > 0 {
            self.failures -= 1;
            return Err(CardError::WriteFailed("card moved during write".into()));
        }
        let lose = std::mem::take(&mut self.lose_next_answer);
        let card = self.card.as_mut().ok_or(CardError::NoCard)?;
        if card.card_no != card_no {
            return Err(CardError::WrongCard {
                expected: card_no.to_owned(),
                found: card.card_no.clone(),
            });
        }
        if seq != card.purchase_count + 1 {
            return Err(CardError::OutOfSequence {
                seq,
                expected: card.purchase_count + 1,
            });
        }
        if !card.gas_on_card.is_zero() {
            return Err(CardError::GasNotLoaded(card.gas_on_card));
        }
        card.purchase_count = seq;
        card.gas_on_card = volume;
        if lose {
            return Err(CardError::WriteFailed("no answer from the card".into()));
        }
        Ok(card.clone())
    }

    fn issue(
        &mut self,
        card_no: &str,
        issue_count: u32,
        purchase_count: u32,
        gas: Volume,
    ) -> Result<CardState, CardError> {
        let card = CardState {
            card_no: card_no.to_owned(),
            issue_count,
            purchase_count,
            gas_on_card: gas,
        };
        self.card = Some(card.clone());
        Ok(card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> CardState {
        CardState {
            card_no: "IC0001".into(),
            issue_count: 1,
            purchase_count: 0,
            gas_on_card: Volume::from_m3(0),
        }
    }

    #[test]
    fn a_card_takes_each_purchase_once_and_only_when_empty() {
        let mut reader = SimulatedCardReader::with_card(card());
        let written = reader.write_purchase("IC0001", 1, Volume::from_m3(20));
        assert_eq!(written.map(|c| c.purchase_count), Ok(1));
        // Not loaded into the meter yet: no second purchase.
        assert_eq!(
            reader.write_purchase("IC0001", 2, Volume::from_m3(5)),
            Err(CardError::GasNotLoaded(Volume::from_m3(20)))
        );
        assert_eq!(reader.load_into_meter(), Volume::from_m3(20));
        // The same purchase again is refused: it was loaded once.
        assert_eq!(
            reader.write_purchase("IC0001", 1, Volume::from_m3(20)),
            Err(CardError::OutOfSequence {
                seq: 1,
                expected: 2
            })
        );
        assert!(
            reader
                .write_purchase("IC9999", 2, Volume::from_m3(5))
                .is_err()
        );
    }

    #[test]
    fn failures_and_lost_answers_are_told_apart_by_reading_the_card() {
        let mut reader = SimulatedCardReader::with_card(card());
        reader.fail_next_writes(1);
        assert!(
            reader
                .write_purchase("IC0001", 1, Volume::from_m3(20))
                .is_err()
        );
        assert_eq!(reader.read().map(|c| c.purchase_count), Ok(0));
        reader.lose_next_answer();
        assert!(
            reader
                .write_purchase("IC0001", 1, Volume::from_m3(20))
                .is_err()
        );
        // The write did reach the card.
        assert_eq!(reader.read().map(|c| c.purchase_count), Ok(1));
    }
}
