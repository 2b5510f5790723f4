//! 查找: one field for whatever the customer tells the cashier. Enter looks
//! the text up as an account number first (exact, the quickest way), then
//! in the archive by name, phone or address; several hits are picked with
//! ↑/↓ and Enter. The card reader (F2) finds the account of a card.

use gascis_common::card::CardError;
use gascis_common::proto::v1 as pb;

use crate::api::ApiError;

/// How many archive hits one lookup shows: a short list to pick from.
pub const PAGE_SIZE: i32 = 10;

/// How the account on show was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Typed, tried as an account number (户号).
    AccountNo(String),
    /// Chosen among archive hits.
    AccountId(i64),
    /// Read from an IC card.
    Card(String),
}

impl Lookup {
    /// The request of this lookup.
    pub fn request(&self) -> pb::GetCounterAccountRequest {
        match self {
            Lookup::AccountNo(account_no) => pb::GetCounterAccountRequest {
                account_no: account_no.clone(),
                ..pb::GetCounterAccountRequest::default()
            },
            Lookup::AccountId(account_id) => pb::GetCounterAccountRequest {
                account_id: *account_id,
                ..pb::GetCounterAccountRequest::default()
            },
            Lookup::Card(card_no) => pb::GetCounterAccountRequest {
                card_no: card_no.clone(),
                ..pb::GetCounterAccountRequest::default()
            },
        }
    }
}

/// Whether `query` could be an account number: one word of ASCII letters,
/// digits and dashes. Names and addresses go straight to the archive.
pub fn looks_like_account_no(query: &str) -> bool {
    let query = query.trim();
    !query.is_empty()
        && query.len() <= 32
        && query.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The archive search of `query`: any kind (name, phone, address…), one
/// short page. Closed accounts too: debt left on a closed account is still
/// paid at the counter.
pub fn search_request(query: &str) -> pb::SearchAccountsRequest {
    pb::SearchAccountsRequest {
        query: query.trim().to_owned(),
        kind: pb::SearchKind::Auto as i32,
        page_size: PAGE_SIZE,
        page_token: String::new(),
        include_closed: true,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Status {
    #[default]
    Idle,
    /// Looking up the account number or the card.
    LookingUp,
    /// Searching the archive.
    Searching,
    /// The archive answered (`hits` may be empty).
    Found,
    /// The card's account was not found.
    NoAccountForCard(String),
    /// The card could not be read.
    CardFailed(CardError),
    Failed(ApiError),
}

/// The search field, its hits and the choice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Find {
    pub query: String,
    pub status: Status,
    /// The query the hits answer.
    pub shown: Option<String>,
    pub hits: Vec<pb::AccountSummary>,
    /// The hit ↑/↓ moved to; Enter chooses it.
    pub highlighted: Option<usize>,
    /// The archive search in flight: an answer to any other is late.
    pub pending_search: Option<String>,
}

impl Find {
    /// Whether ↑/↓ move through hits.
    pub fn takes_arrows(&self) -> bool {
        self.hits.len() > 1
    }

    /// Whether Enter in the field chooses the highlighted hit (the hits
    /// answer what is typed) rather than searching again.
    pub fn enter_chooses(&self) -> Option<usize> {
        self.highlighted.filter(|&index| {
            index < self.hits.len() && self.shown.as_deref() == Some(self.query.trim())
        })
    }

    pub fn move_highlight(&mut self, step: isize) {
        if self.hits.is_empty() {
            return;
        }
        let last = self.hits.len() - 1;
        self.highlighted = Some(match self.highlighted {
            None => 0,
            Some(index) => index.saturating_add_signed(step).min(last),
        });
    }

    /// Starts an archive search of the query; its request.
    pub fn start_search(&mut self) -> pb::SearchAccountsRequest {
        let request = search_request(&self.query);
        self.pending_search = Some(request.query.clone());
        self.status = Status::Searching;
        request
    }

    /// The archive's answer. `Some(hit)` when exactly one account was
    /// found: it opens at once.
    pub fn searched(
        &mut self,
        query: String,
        result: Result<pb::SearchAccountsResponse, ApiError>,
    ) -> Option<pb::AccountSummary> {
        if self.pending_search.as_deref() != Some(query.as_str()) {
            return None;
        }
        self.pending_search = None;
        match result {
            Ok(response) => {
                self.hits = response.results;
                self.hits.truncate(PAGE_SIZE.unsigned_abs() as usize);
                self.highlighted = (!self.hits.is_empty()).then_some(0);
                self.shown = Some(query);
                self.status = Status::Found;
                match self.hits.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                }
            }
            Err(error) => {
                self.status = Status::Failed(error);
                None
            }
        }
    }

    /// Empties the field and forgets the hits.
    pub fn clear(&mut self) {
        *self = Find::default();
    }

    /// Hides the hits once an account is open; the query stays in the field.
    pub fn close_hits(&mut self) {
        self.hits.clear();
        self.highlighted = None;
        self.shown = None;
        self.status = Status::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_are_tried_first_names_are_not() {
        assert!(looks_like_account_no("3101000001"));
        assert!(looks_like_account_no(" PD-0001 "));
        assert!(looks_like_account_no("13912345678"));
        assert!(!looks_like_account_no("王芳"));
        assert!(!looks_like_account_no("阳光花园 1栋"));
        assert!(!looks_like_account_no(""));
    }

    fn hit(account_id: i64) -> pb::AccountSummary {
        pb::AccountSummary {
            account_id,
            ..pb::AccountSummary::default()
        }
    }

    #[test]
    fn one_hit_opens_several_are_picked_late_answers_are_dropped() {
        let mut find = Find {
            query: "王".into(),
            ..Find::default()
        };
        let request = find.start_search();
        assert_eq!(request.query, "王");
        assert_eq!(
            find.searched(
                "李".into(),
                Ok(pb::SearchAccountsResponse {
                    results: vec![hit(1)],
                    ..Default::default()
                })
            ),
            None
        );
        assert_eq!(find.status, Status::Searching, "a late answer is dropped");
        let chosen = find.searched(
            "王".into(),
            Ok(pb::SearchAccountsResponse {
                results: vec![hit(1), hit(2), hit(3)],
                ..Default::default()
            }),
        );
        assert_eq!(chosen, None);
        assert_eq!(find.enter_chooses(), Some(0));
        find.move_highlight(1);
        find.move_highlight(1);
        find.move_highlight(1);
        assert_eq!(find.highlighted, Some(2));
        find.move_highlight(-5);
        assert_eq!(find.highlighted, Some(0));
        find.query = "王芳".into();
        assert_eq!(find.enter_chooses(), None, "a new query searches again");
    }
}
