//! The engine alone doing what a passage's registration writes, for `dualtrack bench
//! passages` to set the app's rate beside: in one transaction a passage, its two travellers,
//! the checkpoint's day row, the travellers' hand-overs, the idempotency key and the audit
//! row, each its own statement as the store writes them. On PostgreSQL it is a `pgbench`
//! script (`pgbench -M prepared -f`); on SQLite the same statements through one connection.
//! Nothing here is used by the server.

use crate::Result;
use sqlx::SqlitePool;

/// Where the hand-overs of the baseline go (a township of Golmud, as the benchmark's
/// registrations).
const DESTINATION: &str = "632801100";

/// The pgbench script of one registration at a checkpoint drawn from the `checkpoints`
/// ids from `first`. Run with `-M prepared`, so that the variables are parameters.
pub fn pgbench_script(first: i64, checkpoints: i64) -> String {
    let last = first + checkpoints.max(1) - 1;
    format!(
        "\\set cp random({first}, {last})\n\
         \\set r random(1, 9000000000000000000)\n\
         BEGIN;\n\
         INSERT INTO passages (checkpoint_id, jurisdiction_code, passed_at, pass_date, plate, vehicle_class, origin_code, \
         origin_text, travel_history, reason, persons, fevers, let_through, turned_back, observed, quarantined, \
         idempotency_key, recorded_by, created_at) SELECT id, jurisdiction_code, now(), CURRENT_DATE, '青H00001', 'truck', \
         '620982', '甘肃省敦煌市', '敦煌；柳园', '运输物资', 2, 0, 2, 0, 0, 0, 'pgbench-' || :r, 'pgbench', now() \
         FROM checkpoints WHERE id = :cp RETURNING id AS pid, jurisdiction_code AS code\n\
         \\gset\n\
         INSERT INTO passage_travellers (passage_id, seq, is_driver, name, id_number, phone, temperature, fever, outcome, \
         destination_code, destination_text, id_bidx, enc_key) VALUES \
         (:pid, 1, true, '马海军', '620982196001010012', '13897001234', 366, false, 'through', '{DESTINATION}', '郭勒木德镇', NULL, NULL), \
         (:pid, 2, false, '才让卓玛', '632801196001010013', NULL, 364, false, 'through', '{DESTINATION}', '郭勒木德镇', NULL, NULL) \
         RETURNING id;\n\
         INSERT INTO passage_days (checkpoint_id, jurisdiction_code, day, passages, vehicles, persons, fevers, let_through, \
         turned_back, observed, quarantined) VALUES (:cp, :code, CURRENT_DATE, 1, 1, 2, 0, 2, 0, 0, 0){add};\n\
         INSERT INTO handovers (traveller_id, passage_id, from_code, to_code, status, made_on, made_at, due_at) \
         SELECT id, passage_id, :code, '{DESTINATION}', 'pending', CURRENT_DATE, now(), now() + interval '24 hours' \
         FROM passage_travellers WHERE passage_id = :pid RETURNING traveller_id, id;\n\
         INSERT INTO idempotency_keys (account, idem_key, kind, fingerprint, record_id, created_at) \
         VALUES ('pgbench', 'pgbench-' || :r, 'passage', md5(:r::text), :pid, now());\n\
         INSERT INTO audit_log (at, user_id, username, roles, action, target_kind, target_id, jurisdiction_code, \
         source_addr, outcome, detail) VALUES (now(), NULL, 'pgbench', '卡口工作人员', 'passage.register', '通行登记', \
         :pid::text, :code, '127.0.0.1', 'success', '基准卡口 青H00001，2 人') RETURNING id;\n\
         COMMIT;\n",
        add = crate::passage_days::ADD_TO_ROW,
    )
}

/// Writes `n` registrations as [`pgbench_script`] does, one transaction each, through one
/// connection of the SQLite pool, at the checkpoints `first..first + checkpoints`.
pub async fn sqlite_registrations(
    pool: &SqlitePool,
    n: u64,
    first: i64,
    checkpoints: i64,
) -> Result<()> {
    let mut c = pool.acquire().await?;
    let passage = "INSERT INTO passages (checkpoint_id, jurisdiction_code, passed_at, pass_date, plate, vehicle_class, \
         origin_code, origin_text, travel_history, reason, persons, fevers, let_through, turned_back, observed, quarantined, \
         idempotency_key, recorded_by, created_at) SELECT id, jurisdiction_code, $1, date('now'), '青H00001', 'truck', \
         '620982', '甘肃省敦煌市', '敦煌；柳园', '运输物资', 2, 0, 2, 0, 0, 0, $2, 'baseline', $1 \
         FROM checkpoints WHERE id = $3 RETURNING id, jurisdiction_code";
    let travellers = "INSERT INTO passage_travellers (passage_id, seq, is_driver, name, id_number, phone, temperature, \
         fever, outcome, destination_code, destination_text, id_bidx, enc_key) VALUES \
         ($1, 1, 1, '马海军', '620982196001010012', '13897001234', 366, 0, 'through', $2, '郭勒木德镇', NULL, NULL), \
         ($1, 2, 0, '才让卓玛', '632801196001010013', NULL, 364, 0, 'through', $2, '郭勒木德镇', NULL, NULL) RETURNING id";
    let day = format!(
        "INSERT INTO passage_days (checkpoint_id, jurisdiction_code, day, passages, vehicles, persons, fevers, \
         let_through, turned_back, observed, quarantined) VALUES ($1, $2, date('now'), 1, 1, 2, 0, 2, 0, 0, 0){}",
        crate::passage_days::ADD_TO_ROW
    );
    let handovers = "INSERT INTO handovers (traveller_id, passage_id, from_code, to_code, status, made_on, made_at, due_at) \
         SELECT id, passage_id, $2, $3, 'pending', date('now'), $4, $4 FROM passage_travellers WHERE passage_id = $1 \
         RETURNING traveller_id, id";
    let key = "INSERT INTO idempotency_keys (account, idem_key, kind, fingerprint, record_id, created_at) \
         VALUES ('baseline', $1, 'passage', $1, $2, $3)";
    let audit = "INSERT INTO audit_log (at, user_id, username, roles, action, target_kind, target_id, jurisdiction_code, \
         source_addr, outcome, detail) VALUES ($1, NULL, 'baseline', '卡口工作人员', 'passage.register', '通行登记', $2, $3, \
         '127.0.0.1', 'success', '基准卡口 青H00001，2 人') RETURNING id";
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let start = chrono::Utc::now();
    for i in 0..n {
        let at = start + chrono::Duration::microseconds(i as i64);
        let k = format!("baseline-{}-{i}", start.timestamp_micros());
        let cp = first + (i as i64 * 7) % checkpoints.max(1);
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await?;
        let (pid, code): (i64, String) = sqlx::query_as(passage)
            .bind(at)
            .bind(&k)
            .bind(cp)
            .fetch_one(&mut *c)
            .await?;
        sqlx::query(travellers)
            .bind(pid)
            .bind(DESTINATION)
            .fetch_all(&mut *c)
            .await?;
        sqlx::query(&day)
            .bind(cp)
            .bind(&code)
            .execute(&mut *c)
            .await?;
        sqlx::query(handovers)
            .bind(pid)
            .bind(&code)
            .bind(DESTINATION)
            .bind(at)
            .fetch_all(&mut *c)
            .await?;
        sqlx::query(key)
            .bind(&k)
            .bind(pid)
            .bind(at)
            .execute(&mut *c)
            .await?;
        sqlx::query(audit)
            .bind(at)
            .bind(pid.to_string())
            .bind(&code)
            .fetch_one(&mut *c)
            .await?;
        sqlx::query("COMMIT").execute(&mut *c).await?;
    }
    Ok(())
}
