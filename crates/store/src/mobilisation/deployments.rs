//! Deployments, the on-duty figures kept with them, and returns to post.

use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeploymentRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub jurisdiction_code: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub site_kind: Option<String>,
    pub site_name: Option<String>,
    pub role: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
}

pub(super) const DEPLOYMENT_COLUMNS: &str =
    "d.id, d.person_id, p.name AS person_name, d.jurisdiction_code, d.org_id, o.name AS org_name, \
     d.site_kind, d.site_name, d.role, d.start_on, d.end_on";
pub(super) const DEPLOYMENT_FROM: &str =
    "FROM deployments d JOIN people p ON p.id = d.person_id LEFT JOIN organisations o ON o.id = d.org_id";

pub struct NewDeployment<'a> {
    pub person_id: i64,
    pub jurisdiction_code: &'a str,
    pub org_id: Option<i64>,
    pub site_kind: Option<&'a str>,
    pub site_name: Option<&'a str>,
    pub role: &'a str,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub at: DateTime<Utc>,
}

pub async fn insert_deployment(tx: &mut Tx, d: &NewDeployment<'_>) -> Result<i64> {
    lock_people(tx, &[d.person_id]).await?;
    let id: i64 = on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO deployments (person_id, jurisdiction_code, org_id, site_kind, site_name, role, start_on, end_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(d.person_id).bind(d.jurisdiction_code).bind(d.org_id).bind(d.site_kind).bind(d.site_name)
        .bind(d.role).bind(d.start_on).bind(d.end_on).bind(d.at)
        .fetch_one(&mut *e).await?);
    add_to_on_duty(tx, &[id]).await?;
    Ok(id)
}

/// The levels of the on-duty rollup: province, prefecture, county, township.
pub(super) const ON_DUTY_LEVELS: [usize; 4] = [2, 4, 6, 9];

/// On PostgreSQL, holds the people whose deployments are being written until the
/// transaction ends, so that two transactions never merge one person's stretches on duty
/// each without the other's (SQLite writes one transaction at a time).
pub(super) async fn lock_people(tx: &mut Tx, people: &[i64]) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        let mut ids = people.to_vec();
        ids.sort_unstable();
        ids.dedup();
        sqlx::query("SELECT id FROM people WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&ids)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The +1/-1 of one person's deployments in one place: overlapping deployments merged.
pub(super) fn stretches(
    mut spans: Vec<(NaiveDate, Option<NaiveDate>)>,
    out: &mut Vec<(NaiveDate, i64)>,
) {
    spans.retain(|(s, e)| e.is_none_or(|e| e >= *s));
    spans.sort();
    let mut cur: Option<(NaiveDate, Option<NaiveDate>)> = None;
    pub(super) fn close((s, e): (NaiveDate, Option<NaiveDate>), out: &mut Vec<(NaiveDate, i64)>) {
        out.push((s, 1));
        if let Some(e) = e {
            out.push((e + chrono::Duration::days(1), -1));
        }
    }
    for (s, e) in spans {
        cur = match cur {
            Some((cs, ce)) if ce.is_none_or(|ce| s <= ce) => {
                Some((cs, ce.and_then(|ce| e.map(|e| e.max(ce)))))
            }
            Some(c) => {
                close(c, out);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some(c) = cur {
        close(c, out);
    }
}

/// One deployment as the on-duty rollup sees it: (id, person, place, start, end).
pub(super) type Span = (i64, i64, String, NaiveDate, Option<NaiveDate>);

/// Adds the deployments just written (`new`, in this transaction) to the on-duty rollup:
/// for each of their people and each place of the rollup, the stretches on duty with and
/// without them are merged and the difference is added.
pub(super) async fn add_to_on_duty(tx: &mut Tx, new: &[i64]) -> Result<()> {
    use std::collections::HashSet;
    let new_ids: HashSet<i64> = new.iter().copied().collect();
    let mut rows: Vec<Span> = Vec::new();
    for chunk in new.chunks(500) {
        let got: Vec<Span> = on_tx!(tx, e => {
            let mut qb = QueryBuilder::new(
                "SELECT id, person_id, jurisdiction_code, start_on, end_on FROM deployments \
                 WHERE person_id IN (SELECT person_id FROM deployments WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push("))");
            qb.build_query_as::<Span>().fetch_all(&mut *e).await?
        });
        rows.extend(got);
    }
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    let before: Vec<Span> = rows
        .iter()
        .filter(|r| !new_ids.contains(&r.0))
        .cloned()
        .collect();
    change_on_duty(tx, &before, &rows).await
}

/// Moves the on-duty rollup from one set of deployments of some people to another: for each
/// person and each place of the rollup, the stretches on duty after (+) and before (-) are
/// merged and the difference is added.
pub(super) async fn change_on_duty(tx: &mut Tx, before: &[Span], after: &[Span]) -> Result<()> {
    use std::collections::BTreeMap;
    type Spans = Vec<(NaiveDate, Option<NaiveDate>)>;
    let mut by: BTreeMap<(usize, String, i64), (Spans, Spans)> = BTreeMap::new();
    for (side, rows) in [(0, after), (1, before)] {
        for (_, person, code, s, e) in rows {
            for level in ON_DUTY_LEVELS {
                if code.len() < level {
                    continue;
                }
                let entry = by
                    .entry((level, code[..level].to_string(), *person))
                    .or_default();
                if side == 0 {
                    entry.0.push((*s, *e));
                } else {
                    entry.1.push((*s, *e));
                }
            }
        }
    }
    let mut deltas: BTreeMap<(usize, String, NaiveDate), i64> = BTreeMap::new();
    for ((level, place, _), (with, without)) in by {
        let (mut plus, mut minus) = (Vec::new(), Vec::new());
        stretches(with, &mut plus);
        stretches(without, &mut minus);
        for (day, n) in plus {
            *deltas.entry((level, place.clone(), day)).or_default() += n;
        }
        for (day, n) in minus {
            *deltas.entry((level, place.clone(), day)).or_default() -= n;
        }
    }
    let deltas: Vec<_> = deltas.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in deltas.chunks(1000) {
        on_tx!(tx, e => {
            let mut qb = QueryBuilder::new("INSERT INTO on_duty_days (level, place, day, delta) ");
            qb.push_values(chunk, |mut b, ((level, place, day), n)| {
                b.push_bind(*level as i32).push_bind(place.as_str()).push_bind(*day).push_bind(*n);
            });
            qb.push(" ON CONFLICT (level, place, day) DO UPDATE SET delta = on_duty_days.delta + excluded.delta");
            qb.build().execute(&mut *e).await?;
        });
    }
    Ok(())
}

/// Sets the last day on duty of a deployment (ending it, or moving its end), keeping the
/// on-duty rollup in the same transaction. Returns the end it had before, or `None` when
/// there is no such deployment.
pub async fn end_deployment(
    tx: &mut Tx,
    id: i64,
    end_on: NaiveDate,
) -> Result<Option<Option<NaiveDate>>> {
    let person: Option<i64> = on_tx!(tx, e => sqlx::query_scalar(
        "SELECT person_id FROM deployments WHERE id = $1")
        .bind(id).fetch_optional(&mut *e).await?);
    let Some(person) = person else {
        return Ok(None);
    };
    // The person is locked first, as a new deployment does, so that changes to one person's
    // deployments queue and each reads what the one before left.
    lock_people(tx, &[person]).await?;
    let before: Vec<Span> = on_tx!(tx, e => sqlx::query_as(
        "SELECT id, person_id, jurisdiction_code, start_on, end_on FROM deployments WHERE person_id = $1 ORDER BY id")
        .bind(person).fetch_all(&mut *e).await?);
    let had = before.iter().find(|r| r.0 == id).and_then(|r| r.4);
    on_tx!(tx, e => sqlx::query("UPDATE deployments SET end_on = $2 WHERE id = $1")
        .bind(id).bind(end_on).execute(&mut *e).await.map(|_| ())?);
    let after: Vec<Span> = before
        .iter()
        .map(|r| {
            if r.0 == id {
                (r.0, r.1, r.2.clone(), r.3, Some(end_on))
            } else {
                r.clone()
            }
        })
        .collect();
    change_on_duty(tx, &before, &after).await?;
    Ok(Some(had))
}

/// One deployment by id.
pub async fn deployment(db: &Db, id: i64) -> Result<Option<DeploymentRow>> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} {DEPLOYMENT_FROM} WHERE d.id = $1");
    Ok(on_db!(db, p => sqlx::query_as::<_, DeploymentRow>(&sql).bind(id).fetch_optional(p).await?))
}

/// Deployments in the scope: of one person, or on duty on a day, or all.
pub async fn list_deployments(
    db: &Db,
    scope: &Scope,
    person_id: Option<i64>,
    on_day: Option<NaiveDate>,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeploymentRow>> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("SELECT {DEPLOYMENT_COLUMNS} {DEPLOYMENT_FROM} WHERE d.jurisdiction_code >= "));
        qb.push_bind(&lo).push(" AND d.jurisdiction_code < ").push_bind(&hi);
        if let Some(id) = person_id {
            qb.push(" AND d.person_id = ").push_bind(id);
        }
        if let Some(day) = on_day {
            qb.push(" AND d.start_on <= ").push_bind(day).push(" AND (d.end_on IS NULL OR d.end_on >= ").push_bind(day).push(")");
        }
        if let Some((start, id)) = after {
            qb.push(" AND (d.start_on, d.id) < (").push_bind(start).push(", ").push_bind(id).push(")");
        }
        qb.push(" ORDER BY d.start_on DESC, d.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        qb.build_query_as::<DeploymentRow>().fetch_all(p).await?
    }))
}

/// People on duty on a day in the scope (each person once), from the on-duty rollup for a
/// province, prefecture, county or township, otherwise from the deployments.
pub async fn count_on_duty(db: &Db, scope: &Scope, day: NaiveDate) -> Result<i64> {
    match scope.code() {
        Some(c) if ON_DUTY_LEVELS.contains(&c.as_str().len()) => {
            Ok(on_db!(db, p => sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM on_duty_days WHERE level = $1 AND place = $2 AND day <= $3")
                .bind(c.as_str().len() as i32).bind(c.as_str()).bind(day).fetch_one(p).await?))
        }
        _ => count_on_duty_scanning(db, scope, day).await,
    }
}

/// The same figure counted from the deployments themselves.
pub async fn count_on_duty_scanning(db: &Db, scope: &Scope, day: NaiveDate) -> Result<i64> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(DISTINCT person_id) FROM deployments WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
         AND start_on <= $3 AND (end_on IS NULL OR end_on >= $3)")
        .bind(&lo).bind(&hi).bind(day).fetch_one(p).await?))
}

pub async fn insert_return(
    tx: &mut Tx,
    person_id: i64,
    code: &str,
    post: &str,
    returned_on: NaiveDate,
    expected_on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, e => sqlx::query_scalar(
        "INSERT INTO returns_to_post (person_id, jurisdiction_code, post, returned_on, expected_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(person_id).bind(code).bind(post).bind(returned_on).bind(expected_on).bind(at)
        .fetch_one(&mut *e).await?))
}

/// Returns to post recorded by `as_of` in the scope: (all, early).
pub async fn count_returns(db: &Db, scope: &Scope, as_of: NaiveDate) -> Result<(i64, i64)> {
    let (lo, hi) = scope.range();
    Ok(on_db!(db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN returned_on < expected_on THEN 1 ELSE 0 END), 0) FROM returns_to_post \
         WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 AND returned_on <= $3")
        .bind(&lo).bind(&hi).bind(as_of).fetch_one(p).await?))
}
