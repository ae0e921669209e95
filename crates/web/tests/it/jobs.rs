//! Background jobs in short batches, on both engines: erasure after the retention period
//! blanks exactly the rows the single statement did, a few rows per transaction; closing the
//! days of stock a range of pairs per transaction writes the closings closing them at once
//! did, and movements dated on a day half closed are counted; and a registration at a
//! checkpoint commits while a long erasure is still going.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::TestApp;
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::time::reporting_day;
use dualtrack_service::Actor;
use dualtrack_store::{handovers, on_tx, supplies};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

/// 2020-04-20 10:00 China Standard Time: the demo's early cases and passages are past the
/// retention period, its later ones are not.
fn late_april() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 4, 20, 2, 0, 0)
        .single()
        .expect("time")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

const ERASED_CASES: &str =
    "SELECT id FROM monitoring_cases WHERE erased_on IS NOT NULL ORDER BY id";
const ERASED_TRAVELLERS: &str =
    "SELECT id FROM passage_travellers WHERE erased_on IS NOT NULL ORDER BY id";
const ERASED_SCREENED: &str =
    "SELECT id FROM screened_persons WHERE erased_on IS NOT NULL ORDER BY id";

/// What the rollups and counts add up to: erasure leaves them as they were.
const TOTALS: &str = "SELECT (SELECT COUNT(*) FROM monitoring_cases) * 1000000 \
     + (SELECT COUNT(*) FROM passage_travellers) * 10 \
     + (SELECT COUNT(*) FROM screened_persons) * 100 \
     + (SELECT CAST(COALESCE(SUM(started) + SUM(released), 0) AS BIGINT) FROM monitoring_days) \
     + (SELECT CAST(COALESCE(SUM(persons), 0) AS BIGINT) FROM passage_days)";

async fn ids(t: &TestApp, sql: &str) -> Vec<i64> {
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, i64>(sql)
        .fetch_all(p).await.expect("ids"))
}

/// Erasure in batches of seven blanks the very cases, travellers and screened persons the single statement
/// did (that one is run first, read, and rolled back), and nothing else; counts stay.
async fn erasure_in_batches_erases_what_one_statement_did(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(late_april()));
    let app = t.app.clone().with_job_batch(7);
    let today = reporting_day(late_april());
    let released_by = today - Duration::days(i64::from(app.retention_days));
    let passed_by = released_by - Duration::days(i64::from(app.monitoring_days));
    // The demo's screenings are all of February and early March: one is made recent, and
    // must be kept.
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(
        "UPDATE screened_persons SET screened_on = '2020-04-15' \
         WHERE id = (SELECT MAX(id) FROM screened_persons)")
        .execute(p).await.map(|_| ()).expect("recent screening"));
    let totals = t.count(TOTALS).await;
    let (cases, travellers, screened, erased) = {
        let mut tx = app.db.begin().await.expect("begin");
        let erased = handovers::erase(&mut tx, released_by, passed_by, today)
            .await
            .expect("erase");
        let cases: Vec<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(ERASED_CASES)
            .fetch_all(&mut *x).await.expect("cases"));
        let travellers: Vec<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(ERASED_TRAVELLERS)
            .fetch_all(&mut *x).await.expect("travellers"));
        let screened: Vec<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(ERASED_SCREENED)
            .fetch_all(&mut *x).await.expect("screened"));
        (cases, travellers, screened, erased)
        // Dropped: rolled back.
    };
    assert!(ids(&t, ERASED_TRAVELLERS).await.is_empty(), "rolled back");
    assert!(cases.len() > 20, "{} cases to erase", cases.len());
    assert!(travellers.len() > 100, "{} travellers", travellers.len());
    assert!(screened.len() > 10, "{} screened", screened.len());
    let all_screened = t.count("SELECT COUNT(*) FROM screened_persons").await;
    assert!(
        (screened.len() as i64) < all_screened,
        "some screenings are kept"
    );
    let all_travellers = t.count("SELECT COUNT(*) FROM passage_travellers").await;
    assert!(
        (travellers.len() as i64) < all_travellers,
        "some travellers are kept"
    );
    let all_cases = t.count("SELECT COUNT(*) FROM monitoring_cases").await;
    assert!((cases.len() as i64) < all_cases, "some cases are kept");

    let report = app.erase_expired(&Actor::cli()).await.expect("erase");
    assert_eq!(report.cases, erased.cases);
    assert_eq!(report.travellers, erased.travellers);
    assert_eq!(report.screened, erased.screened);
    assert!(
        u64::from(report.batches) >= (erased.cases + erased.travellers + erased.screened) / 7,
        "{} batches",
        report.batches
    );
    assert_eq!(ids(&t, ERASED_CASES).await, cases);
    assert_eq!(ids(&t, ERASED_TRAVELLERS).await, travellers);
    assert_eq!(ids(&t, ERASED_SCREENED).await, screened);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM screened_persons WHERE erased_on IS NOT NULL \
             AND (name <> '（已删除）' OR id_number <> '' OR id_bidx <> '' OR phone IS NOT NULL)"
        )
        .await,
        0
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM passage_travellers WHERE erased_on IS NOT NULL \
             AND (name <> '（已删除）' OR id_number <> '' OR phone IS NOT NULL)"
        )
        .await,
        0
    );
    assert_eq!(t.count(TOTALS).await, totals, "counts and rollups stay");
    assert_eq!(
        t.audit_count("retention.erase").await,
        1,
        "one audit row a run"
    );
    // Run again: nothing left to erase.
    let again = app.erase_expired(&Actor::cli()).await.expect("again");
    assert_eq!((again.cases, again.travellers, again.screened), (0, 0, 0));
    assert_eq!(t.audit_count("retention.erase").await, 2);
}

/// The closings, as `(day, store, item, closing, cum_out)`.
async fn closings(t: &TestApp) -> Vec<(String, i64, i64, i64, i64)> {
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query_as::<_, (String, i64, i64, i64, i64)>(
        "SELECT CAST(day AS TEXT), store_id, item_id, closing, cum_out FROM stock_closings \
         ORDER BY day, store_id, item_id")
        .fetch_all(p).await.expect("closings"))
}

/// The rollup agrees with the sums over the movements every day of `from..=to`.
async fn closings_agree(t: &TestApp, from: NaiveDate, to: NaiveDate) {
    for d in from.iter_days().take_while(|d| *d <= to) {
        let a = supplies::balances_as_of(&t.db.db, &Scope::All, d, None)
            .await
            .expect("rollup");
        let b = supplies::balances_from_movements(&t.db.db, &Scope::All, d)
            .await
            .expect("movements");
        assert_eq!(a, b, "balances as of {d}");
        let from = d - Duration::days(14);
        let a = supplies::use_between(&t.db.db, &Scope::All, from, d)
            .await
            .expect("use");
        let b = supplies::use_from_movements(&t.db.db, &Scope::All, from, d)
            .await
            .expect("use from movements");
        assert_eq!(a, b, "use over the fortnight to {d}");
    }
}

/// Closing the demo's days again in batches of five pairs writes the closings the demo's
/// load wrote at once. Then a day is left half closed, and movements dated on it (on a pair
/// closed already, on one not yet, on a new pair) are all in its closings once it is done.
async fn closing_in_batches_gives_the_closings_of_one_transaction(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(
        Utc.with_ymd_and_hms(2020, 3, 20, 2, 0, 0)
            .single()
            .expect("time"),
    ));
    let app = t.app.clone().with_job_batch(5);
    let at_once = closings(&t).await;
    let pairs = t.count("SELECT COUNT(*) FROM stock_balances").await;
    assert!(pairs > 20, "{pairs} pairs");
    let mut tx = app.db.begin().await.expect("begin");
    supplies::reopen_days(&mut tx, day("2020-02-15"))
        .await
        .expect("reopen");
    tx.commit().await.expect("commit");
    assert!(closings(&t).await.len() < at_once.len());
    let closed = app.close_stock_days_in_batches().await.expect("close");
    assert!(closed.days >= 20, "{} days", closed.days);
    assert!(
        closed.batches as i64 >= closed.days as i64 * (pairs / 5),
        "{} batches for {} days",
        closed.batches,
        closed.days
    );
    assert_eq!(closings(&t).await, at_once);
    assert_eq!(app.close_stock_days().await.expect("again"), 0);

    // Half of 2020-02-15 closed: the pairs up to a 格尔木 pair P; Q, after it, not yet.
    let mut tx = app.db.begin().await.expect("begin");
    supplies::reopen_days(&mut tx, day("2020-02-15"))
        .await
        .expect("reopen");
    tx.commit().await.expect("commit");
    let movable = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT b.store_id, b.item_id FROM stock_balances b JOIN supply_stores s ON s.id = b.store_id \
         WHERE s.jurisdiction_code >= '632801' AND s.jurisdiction_code < '632801:' \
           AND (SELECT d.closing FROM stock_days d WHERE d.store_id = b.store_id AND d.item_id = b.item_id \
                AND d.day <= '2020-02-15' ORDER BY d.day DESC LIMIT 1) >= 2 \
           AND NOT EXISTS (SELECT 1 FROM stock_days d WHERE d.store_id = b.store_id AND d.item_id = b.item_id \
                AND d.day > '2020-02-15' AND d.closing < 2) \
         ORDER BY b.store_id, b.item_id")
        .fetch_all(p).await.expect("pairs"));
    assert!(movable.len() >= 2, "{movable:?}");
    let (p, q) = (movable[0], movable[movable.len() - 1]);
    assert!(p < q);
    let mut tx = app.db.begin().await.expect("begin");
    supplies::close_pairs(&mut tx, day("2020-02-15"), supplies::FIRST_PAIR, p)
        .await
        .expect("half");
    tx.commit().await.expect("commit");
    let op = t.token("golmud_operator").await;
    let mv = |store: i64, body: serde_json::Value| {
        let op = op.clone();
        let t = &t;
        async move {
            let r = t
                .post(
                    &format!("/api/v1/supplies/stores/{store}/movements"),
                    &op,
                    body,
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    };
    for (store, item) in [p, q] {
        mv(
            store,
            json!({"kind": "issue", "item_id": item, "quantity": 1, "moved_on": "2020-02-15",
                   "counterparty": "补登"}),
        )
        .await;
        mv(
            store,
            json!({"kind": "receipt", "item_id": item, "quantity": 3, "moved_on": "2020-02-15"}),
        )
        .await;
    }
    // A pair first moved on the half-closed day: a new store's receipt.
    let store = t
        .created(
            "/api/v1/supplies/stores",
            &op,
            json!({"name": "补登测试仓", "kind": "county", "jurisdiction_code": "632801"}),
        )
        .await;
    mv(
        store,
        json!({"kind": "receipt", "item_id": p.1, "quantity": 40, "moved_on": "2020-02-15"}),
    )
    .await;
    let closed = app.close_stock_days_in_batches().await.expect("close");
    assert!(closed.days >= 20);
    closings_agree(&t, day("2020-02-10"), day("2020-03-16")).await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM stock_closings WHERE closing < 0 OR cum_out < 0")
            .await,
        0
    );
}

/// While an erasure of thousands of rows, one or two a transaction, is going, passages are
/// registered at a checkpoint and committed: they do not wait for the erasure to end. (With
/// the erasure one transaction, the first row erased is seen only once it has ended.)
async fn a_registration_commits_while_a_long_erasure_runs(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(late_april()));
    let app = t.app.clone().with_job_batch(2);
    let worker = t.token("checkpoint_worker").await;
    let south = t.checkpoint("格尔木南出口").await;
    let to_erase = t.count("SELECT COUNT(*) FROM passage_travellers").await;
    assert!(to_erase > 5000, "{to_erase} travellers");
    let eraser = tokio::spawn(async move { app.erase_expired(&Actor::cli()).await });
    // Once the erasure has committed something…
    let mut waited = 0;
    while t
        .count("SELECT COUNT(*) FROM passage_travellers WHERE erased_on IS NOT NULL")
        .await
        == 0
    {
        assert!(!eraser.is_finished(), "the erasure ended without erasing");
        waited += 1;
        assert!(waited < 60_000, "nothing erased");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // …registrations go through while it goes on.
    for n in 0..5u32 {
        let r = t
            .register_passage(
                south,
                &worker,
                json!({
                    "plate": "青H23456",
                    "vehicle_class": "car",
                    "origin": "青海省西宁市",
                    "travel_history": "西宁市城东区",
                    "destination": "632801001001001",
                    "reason": "返岗复工",
                    "travellers": [{"name": "韩建国",
                        "id_number": id_number(&format!("632801198001{:02}003", n + 1)),
                        "phone": "13897004321", "temperature": 36.4, "outcome": "through"}]
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(
            !eraser.is_finished(),
            "registration {n} committed only after the erasure"
        );
    }
    let report = eraser.await.expect("task").expect("erase");
    assert!(report.travellers > 1000, "{}", report.travellers);
    assert!(report.batches > 500, "{}", report.batches);
}

on_both_engines!(
    erasure_in_batches_erases_what_one_statement_did,
    closing_in_batches_gives_the_closings_of_one_transaction,
    a_registration_commits_while_a_long_erasure_runs,
);
