//! Password hashing: argon2id, 19 MiB, t=2, p=1 (OWASP's minimum for argon2id).

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::Error;

pub const MIN_PASSWORD_CHARS: usize = 8;
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn hasher() -> Result<Argon2<'static>, Error> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|error| Error::Internal(format!("argon2 parameters: {error}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn validate(password: &str, field: &'static str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            field,
            format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(Error::invalid(field, "must have at most 1024 bytes"));
    }
    Ok(())
}

/// PHC string of a new argon2id hash with a random salt.
pub fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Internal(format!("argon2 hash: {error}")))
}

/// Whether `password` matches the stored PHC string. The parameters are read
/// from the string, so hashes made with older parameters still verify.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| hash("gascis-dummy-password").ok());

/// Spends the same time as a real verification, so that response time does
/// not reveal whether a user name exists.
pub fn verify_dummy(password: &str) {
    if let Some(stored) = DUMMY_HASH.as_deref() {
        let _ = verify(password, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_the_required_cost_and_verifies() -> Result<(), Error> {
        let stored = hash("correct horse")?;
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct hors", &stored));
        assert!(!verify("correct horse", "not a hash"));
        Ok(())
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(validate("1234567", "password").is_err());
        assert!(validate("12345678", "password").is_ok());
        assert!(validate("密码密码密码密码", "password").is_ok());
    }
}
