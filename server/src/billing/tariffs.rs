//! Tariffs as data: each tariff keeps its published revisions (the whole
//! document, immutable, named by every bill computed with it) and at most
//! one draft that back office edits and publishes.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Nullable, Text},
};
use gascis_common::tariff::{self, Tariff};

use crate::{
    db::Prepared,
    error::{Error, Result},
};

/// A published revision as billing uses it.
#[derive(Debug, Clone)]
pub struct Published {
    pub tariff_id: i64,
    pub revision_id: i64,
    pub tariff: Tariff,
}

#[derive(QueryableByName)]
struct RevisionRow {
    #[diesel(sql_type = BigInt)]
    tariff_id: i64,
    #[diesel(sql_type = BigInt)]
    revision_id: i64,
    #[diesel(sql_type = Text)]
    document: String,
}

fn parse(row: RevisionRow) -> Result<Published> {
    let tariff: Tariff = serde_json::from_str(&row.document).map_err(|error| {
        Error::Internal(format!(
            "tariff revision {} cannot be read: {error}",
            row.revision_id
        ))
    })?;
    Ok(Published {
        tariff_id: row.tariff_id,
        revision_id: row.revision_id,
        tariff,
    })
}

/// The latest published revision of every tariff, and which is the default.
pub fn published(connection: &mut PgConnection) -> Result<(Vec<Published>, Option<String>)> {
    let rows: Vec<RevisionRow> = sql_query(
        "SELECT DISTINCT ON (r.tariff_id) r.tariff_id, r.id AS revision_id, r.document::text AS document \
         FROM tariff_revisions r ORDER BY r.tariff_id, r.id DESC",
    )
    .load(connection)?;
    #[derive(QueryableByName)]
    struct Default {
        #[diesel(sql_type = Text)]
        code: String,
    }
    let default: Option<Default> = sql_query("SELECT code FROM tariffs WHERE is_default")
        .get_result(connection)
        .optional()?;
    let parsed = rows.into_iter().map(parse).collect::<Result<Vec<_>>>()?;
    Ok((parsed, default.map(|d| d.code)))
}

/// The latest published revision of one tariff.
pub fn current(connection: &mut PgConnection, code: &str) -> Result<Published> {
    let row: Option<RevisionRow> = Prepared(sql_query(
        "SELECT r.tariff_id, r.id AS revision_id, r.document::text AS document FROM tariff_revisions r \
         JOIN tariffs t ON t.id = r.tariff_id WHERE t.code = $1 ORDER BY r.id DESC LIMIT 1",
    )
    .bind::<Text, _>(code))
    .get_result(connection)
    .optional()?;
    row.map(parse)
        .transpose()?
        .ok_or_else(|| Error::NotFound(format!("tariff '{code}' has no published revision")))
}

/// Publishes `tariff` as a new revision (creating the tariff on first
/// publication). Versions already in force on `today` may not change:
/// bills were computed with them; a retroactive price change is a
/// correction of those bills, not an edit of the tariff.
pub fn publish(
    connection: &mut PgConnection,
    username: &str,
    tariff: &Tariff,
    note: &str,
    today: NaiveDate,
) -> Result<i64> {
    tariff
        .validate()
        .map_err(|error| Error::invalid("tariff", error.to_string()))?;
    connection.transaction(|connection| {
        let previous = match current(connection, &tariff.code) {
            Ok(previous) => Some(previous),
            Err(Error::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        if let Some(previous) = &previous {
            for old in previous
                .tariff
                .versions
                .iter()
                .filter(|v| v.effective_from <= today)
            {
                let same = tariff
                    .versions
                    .iter()
                    .find(|v| v.effective_from == old.effective_from);
                if same != Some(old) {
                    return Err(Error::Refused(format!(
                        "the version in force from {} is already used for billing; add a new \
                         version with a later effective date instead of changing it",
                        old.effective_from
                    )));
                }
            }
            if let Some(added) = tariff.versions.iter().find(|v| {
                v.effective_from <= today
                    && !previous
                        .tariff
                        .versions
                        .iter()
                        .any(|o| o.effective_from == v.effective_from)
            }) {
                return Err(Error::Refused(format!(
                    "a new version must take effect after today ({today}); {} is not",
                    added.effective_from
                )));
            }
        }
        let document = serde_json::to_string(tariff)
            .map_err(|error| Error::Internal(format!("tariff to JSON: {error}")))?;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let tariff_id: Id = sql_query(
            "INSERT INTO tariffs (code, name) VALUES ($1, $2) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, draft = NULL, \
                version = tariffs.version + 1 \
             RETURNING id",
        )
        .bind::<Text, _>(&tariff.code)
        .bind::<Text, _>(&tariff.name)
        .get_result(connection)?;
        let revision: Id = sql_query(
            "INSERT INTO tariff_revisions (tariff_id, document, published_by, note) \
             VALUES ($1, $2::jsonb, $3, $4) RETURNING id",
        )
        .bind::<BigInt, _>(tariff_id.id)
        .bind::<Text, _>(&document)
        .bind::<Text, _>(username)
        .bind::<Text, _>(note)
        .get_result(connection)?;
        Ok(revision.id)
    })
}

/// Makes `code` the tariff of accounts that name none.
pub fn set_default(connection: &mut PgConnection, code: &str) -> Result<()> {
    connection.transaction(|connection| {
        sql_query("UPDATE tariffs SET is_default = false WHERE is_default").execute(connection)?;
        let changed = sql_query("UPDATE tariffs SET is_default = true WHERE code = $1")
            .bind::<Text, _>(code)
            .execute(connection)?;
        if changed == 0 {
            return Err(Error::NotFound(format!("tariff '{code}'")));
        }
        Ok(())
    })
}

/// Keeps a draft beside the published revisions (validated on publish,
/// not on save, so half-edited work is not lost).
pub fn save_draft(connection: &mut PgConnection, username: &str, tariff: &Tariff) -> Result<()> {
    let document = serde_json::to_string(tariff)
        .map_err(|error| Error::Internal(format!("tariff to JSON: {error}")))?;
    sql_query(
        "INSERT INTO tariffs (code, name, draft, draft_saved_by, draft_saved_at) \
         VALUES ($1, $2, $3::jsonb, $4, now()) \
         ON CONFLICT (code) DO UPDATE SET draft = excluded.draft, \
            draft_saved_by = excluded.draft_saved_by, draft_saved_at = now(), \
            version = tariffs.version + 1",
    )
    .bind::<Text, _>(&tariff.code)
    .bind::<Text, _>(&tariff.name)
    .bind::<Text, _>(&document)
    .bind::<Text, _>(username)
    .execute(connection)?;
    Ok(())
}

/// The draft of a tariff, if one is kept.
pub fn draft(connection: &mut PgConnection, code: &str) -> Result<Option<Tariff>> {
    #[derive(QueryableByName)]
    struct Draft {
        #[diesel(sql_type = Nullable<Text>)]
        draft: Option<String>,
    }
    let row: Option<Draft> = sql_query("SELECT draft::text AS draft FROM tariffs WHERE code = $1")
        .bind::<Text, _>(code)
        .get_result(connection)
        .optional()?;
    row.and_then(|r| r.draft)
        .map(|value| {
            serde_json::from_str(&value)
                .map_err(|error| Error::Internal(format!("draft of '{code}': {error}")))
        })
        .transpose()
}

/// Publishes the presets of DOMAIN.md's cities that the database lacks, so
/// a new company can bill at once. Runs after every migration; idempotent.
pub fn seed_presets(connection: &mut PgConnection) -> Result<Vec<String>> {
    let mut added = Vec::new();
    for source in tariff::presets() {
        let preset = tariff::preset(source.code)
            .map_err(|error| Error::Internal(format!("preset {}: {error}", source.code)))?;
        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = Bool)]
            exists: bool,
        }
        let exists: Exists =
            sql_query("SELECT EXISTS (SELECT 1 FROM tariffs WHERE code = $1) AS exists")
                .bind::<Text, _>(&preset.code)
                .get_result(connection)?;
        if exists.exists {
            continue;
        }
        // Published as of the preset's first version: its history is the
        // city's, not ours, so nothing "in force" can clash.
        let first = preset
            .versions
            .first()
            .map(|v| v.effective_from)
            .unwrap_or(NaiveDate::MIN);
        publish(
            connection,
            "system",
            &preset,
            "preset (../shared/DOMAIN.md)",
            first.pred_opt().unwrap_or(first),
        )?;
        added.push(preset.code.clone());
    }
    Ok(added)
}

/// A tariff at a glance, for lists.
#[derive(Debug, Clone, QueryableByName)]
pub struct Summary {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Bool)]
    pub is_default: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub revision_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub published_by: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Bool)]
    pub has_draft: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub document: Option<String>,
}

pub fn list(connection: &mut PgConnection) -> Result<Vec<(Summary, Option<Tariff>)>> {
    let rows: Vec<Summary> = sql_query(
        "SELECT t.code, t.name, t.is_default, r.id AS revision_id, r.published_by, r.published_at, \
                t.draft IS NOT NULL AS has_draft, r.document::text AS document \
         FROM tariffs t LEFT JOIN LATERAL (SELECT * FROM tariff_revisions x WHERE x.tariff_id = t.id \
            ORDER BY x.id DESC LIMIT 1) r ON true ORDER BY t.code",
    )
    .load(connection)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let tariff = row
                .document
                .as_deref()
                .and_then(|text| serde_json::from_str::<Tariff>(text).ok());
            (row, tariff)
        })
        .collect())
}
