//! Generated code of the `gascis.v1` gRPC API (see `common/proto/`).

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    tonic::include_proto!("gascis.v1");
}

/// The encoded `FileDescriptorSet` of every gascis .proto file (with source
/// comments), for server reflection and the API reference generator.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/gascis_descriptor.bin"));

/// Metadata key that carries a machine-readable reason next to an error status.
pub const REASON_METADATA_KEY: &str = "x-gascis-reason";
/// Metadata key with the RFC 3339 end of a lockout.
pub const LOCKED_UNTIL_METADATA_KEY: &str = "x-gascis-locked-until";

/// Metadata key naming the request field an INVALID_ARGUMENT is about, as a
/// dotted path of proto field names, e.g. `new_customer.id_number`.
pub const FIELD_METADATA_KEY: &str = "x-gascis-field";

/// Machine-readable reasons sent in [`REASON_METADATA_KEY`].
pub mod reason {
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    pub const LOCKED: &str = "locked";
    pub const DISABLED: &str = "disabled";
    pub const NO_TOKEN: &str = "no_token";
    pub const SESSION_EXPIRED: &str = "session_expired";
    pub const ROLE_DENIED: &str = "role_denied";
    /// ABORTED: the row changed since the client read it; reload and retry.
    pub const STALE_VERSION: &str = "stale_version";
    /// FAILED_PRECONDITION: the action needs a supervisor's approval.
    pub const APPROVAL_REQUIRED: &str = "approval_required";
}
