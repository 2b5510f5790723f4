//! Roles of gascis users. The database stores [`Role::as_str`]; the wire uses
//! the proto enum `gascis.v1.Role`.

use std::{fmt, str::FromStr};

use crate::proto::v1 as pb;

/// What a user may do; each RPC lists the roles it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Cashier,
    Supervisor,
    BackOffice,
    Field,
    Finance,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error(
        "unknown role '{0}' (expected one of cashier, supervisor, back_office, field, finance, admin)"
    )]
    Unknown(String),
    #[error("role is unspecified")]
    Unspecified,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Cashier,
        Role::Supervisor,
        Role::BackOffice,
        Role::Field,
        Role::Finance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::BackOffice => "back_office",
            Role::Field => "field",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    /// Name shown to people, zh-CN.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Cashier => "收费员",
            Role::Supervisor => "值班主管",
            Role::BackOffice => "营业稽核",
            Role::Field => "外勤",
            Role::Finance => "财务",
            Role::Admin => "系统管理员",
        }
    }

    /// Name shown to people, English.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Cashier => "Cashier",
            Role::Supervisor => "Supervisor",
            Role::BackOffice => "Back office",
            Role::Field => "Field staff",
            Role::Finance => "Finance",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| RoleError::Unknown(text.to_owned()))
    }
}

impl From<Role> for pb::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Cashier => pb::Role::Cashier,
            Role::Supervisor => pb::Role::Supervisor,
            Role::BackOffice => pb::Role::BackOffice,
            Role::Field => pb::Role::Field,
            Role::Finance => pb::Role::Finance,
            Role::Admin => pb::Role::Admin,
        }
    }
}

impl TryFrom<pb::Role> for Role {
    type Error = RoleError;

    fn try_from(role: pb::Role) -> Result<Self, Self::Error> {
        match role {
            pb::Role::Unspecified => Err(RoleError::Unspecified),
            pb::Role::Cashier => Ok(Role::Cashier),
            pb::Role::Supervisor => Ok(Role::Supervisor),
            pb::Role::BackOffice => Ok(Role::BackOffice),
            pb::Role::Field => Ok(Role::Field),
            pb::Role::Finance => Ok(Role::Finance),
            pb::Role::Admin => Ok(Role::Admin),
        }
    }
}

impl TryFrom<i32> for Role {
    type Error = RoleError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        let role = pb::Role::try_from(value).map_err(|_| RoleError::Unknown(value.to_string()))?;
        Role::try_from(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_text_and_proto() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(Role::try_from(pb::Role::from(role)), Ok(role));
            assert_eq!(Role::try_from(pb::Role::from(role) as i32), Ok(role));
        }
    }

    #[test]
    fn unknown_and_unspecified_roles_are_refused() {
        assert!("root".parse::<Role>().is_err());
        assert_eq!(Role::try_from(0), Err(RoleError::Unspecified));
        assert!(Role::try_from(99).is_err());
    }
}
