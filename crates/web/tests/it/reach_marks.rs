//! The scheduler follows new passages by id. On PostgreSQL a transaction that took a lower
//! id can commit after a later one: a round between the two must not set its mark past the
//! row still being written, or that row (here a fever) is never looked at.

use crate::channels::{channel, robot};
use crate::common::TestApp;
use crate::reach::{noon, passage};
use chrono::Duration;
use dualtrack_service::whistle::escalation::Scheduler;
use dualtrack_store::Db;
use dualtrack_testkit::Engine;
use serde_json::json;

#[tokio::test]
async fn a_passage_committed_after_a_later_one_is_still_found() {
    let t = TestApp::new(Engine::Postgres).await;
    let start = noon() - Duration::hours(3);
    t.app.clock.set(Some(start));
    let (base, _got) = robot(0).await;
    channel(
        &t,
        json!({"name": "格尔木指挥部", "jurisdiction_code": "632801", "kind": "generic",
               "url": format!("{base}/hook"), "secret": "golmud-command-robot-secret",
               "events": "fever", "per_minute": 600}),
    )
    .await;
    let (first, _) = passage(&t, 36.5, "through").await;
    let scheduler = Scheduler::new(t.app.clone(), "one", std::time::Duration::from_secs(30));
    scheduler.tick().await.expect("tick");

    // A registration that has taken its id and is still writing: a copy of the first
    // passage, with a fever, in a transaction left open.
    let Db::Postgres(pool) = &t.db.db else {
        panic!("PostgreSQL only");
    };
    let columns: String = sqlx::query_scalar(
        "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'passages' \
         AND column_name NOT IN ('id', 'idempotency_key', 'fevers')",
    )
    .fetch_one(pool)
    .await
    .expect("columns");
    let mut open = pool.begin().await.expect("begin");
    let held: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO passages ({columns}, idempotency_key, fevers) \
         SELECT {columns}, 'held-open', 1 FROM passages WHERE id = $1 RETURNING id"
    ))
    .bind(first["id"].as_i64().expect("id"))
    .fetch_one(&mut *open)
    .await
    .expect("insert");

    // A later registration, with a fever, commits first; a round runs meanwhile.
    t.app.clock.set(Some(start + Duration::minutes(1)));
    let (later, _) = passage(&t, 38.4, "observation").await;
    let later = later["id"].as_i64().expect("id");
    assert!(later > held, "the open one took the lower id");
    scheduler
        .tick()
        .await
        .expect("a round while a writer is at it");

    // The open one commits; the next round finds it, and the later one, once each.
    open.commit().await.expect("commit");
    t.app.clock.set(Some(start + Duration::minutes(2)));
    scheduler.tick().await.expect("tick");
    t.app.clock.set(Some(start + Duration::minutes(3)));
    scheduler.tick().await.expect("tick");
    for id in [held, later] {
        let n = t
            .count(&format!(
                "SELECT COUNT(*) FROM channel_events WHERE event_key = 'fever:{id}'"
            ))
            .await;
        assert_eq!(n, 1, "the fever of passage {id}");
    }
}
