//! The tariffs of DOMAIN.md, embedded from `assets/tariffs/*.toml`. They are starting points for
//! back office: each carries `notes` saying what the source lacked and what was assumed.

use super::model::Tariff;
use super::validate::TariffError;

/// An embedded tariff file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetSource {
    pub code: &'static str,
    /// The TOML text, as in `assets/tariffs/CODE.toml`.
    pub toml: &'static str,
}

const PRESETS: [PresetSource; 4] = [
    PresetSource {
        code: "beijing-2019",
        toml: include_str!("../../../assets/tariffs/beijing-2019.toml"),
    },
    PresetSource {
        code: "shanghai-2014",
        toml: include_str!("../../../assets/tariffs/shanghai-2014.toml"),
    },
    PresetSource {
        code: "shenzhen-2021",
        toml: include_str!("../../../assets/tariffs/shenzhen-2021.toml"),
    },
    PresetSource {
        code: "chongqing-2021",
        toml: include_str!("../../../assets/tariffs/chongqing-2021.toml"),
    },
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("unknown tariff preset '{name}' (presets: {known})")]
    Unknown { name: String, known: String },
    #[error("tariff preset '{code}' is invalid: {error}")]
    Invalid { code: String, error: TariffError },
}

/// Every embedded preset, in a fixed order.
pub fn presets() -> &'static [PresetSource] {
    &PRESETS
}

/// The preset `code`, parsed and validated.
pub fn preset(code: &str) -> Result<Tariff, PresetError> {
    let source = PRESETS
        .iter()
        .find(|preset| preset.code == code.trim())
        .ok_or_else(|| PresetError::Unknown {
            name: code.to_owned(),
            known: PRESETS
                .iter()
                .map(|preset| preset.code)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    Tariff::from_toml(source.toml).map_err(|error| PresetError::Invalid {
        code: source.code.to_owned(),
        error,
    })
}
