//! gascis-common: the pure domain shared by server and client, and the gRPC API.
//!
//! No I/O lives here: no database, no network, no UI. See ARCHITECTURE.md.

pub mod card;
pub mod cleaning;
pub mod identity;
pub mod import_fields;
pub mod masking;
pub mod money;
pub mod phone;
pub mod proto;
pub mod role;
pub mod tariff;
pub mod tax_id;
pub mod upper_numerals;

pub use money::{Money, MoneyError};
pub use role::{Role, RoleError};
