//! `dualtrack bench drill`: checkpoint registrations through a load balancer while the
//! set-up fails under it (an instance killed, the primary database lost and its standby
//! promoted, as `scripts/cluster.sh drill` does). Each client sends its registration again
//! under the same idempotency key until it is acknowledged, as the phone's outbox does. At
//! the end the database is read: every acknowledged registration must be there, none twice,
//! and no answer may have been a 5xx other than 503.

use dualtrack_store::{on_db, Db};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct DrillOptions {
    /// The balancer's address.
    pub url: String,
    /// The database, read at the start for the checkpoints and at the end for the count.
    pub db: String,
    pub seconds: u64,
    pub clients: usize,
}

#[derive(Default)]
struct Answers {
    ok: AtomicU64,
    unavailable: AtomicU64,
    throttled: AtomicU64,
    other_5xx: AtomicU64,
    client_error: AtomicU64,
    no_answer: AtomicU64,
}

/// What the database holds of the drill's registrations, against what was acknowledged.
#[derive(Debug, PartialEq, Eq)]
pub struct Kept {
    pub acknowledged: usize,
    /// Acknowledged and not in the database.
    pub missing: usize,
    /// Keys held by more than one registration.
    pub twice: usize,
    /// In the database though never acknowledged (an answer lost on the way).
    pub unacknowledged: usize,
}

/// Compares the acknowledged keys with the count of registrations per key in the database.
pub fn compare(acknowledged: &HashSet<String>, stored: &HashMap<String, i64>) -> Kept {
    Kept {
        acknowledged: acknowledged.len(),
        missing: acknowledged
            .iter()
            .filter(|k| !stored.contains_key(*k))
            .count(),
        twice: stored.values().filter(|n| **n > 1).count(),
        unacknowledged: stored.keys().filter(|k| !acknowledged.contains(*k)).count(),
    }
}

async fn connect_with_patience(url: &str) -> anyhow::Result<Db> {
    let began = Instant::now();
    loop {
        match Db::connect(url).await {
            Ok(db) => return Ok(db),
            Err(e) if began.elapsed() > Duration::from_secs(30) => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

pub async fn run(o: DrillOptions) -> anyhow::Result<()> {
    let db = connect_with_patience(&o.db).await?;
    let checkpoints: Vec<i64> = on_db!(&db, p => sqlx::query_scalar(
        "SELECT id FROM checkpoints WHERE jurisdiction_code >= '632801' AND jurisdiction_code < '632801:' ORDER BY id")
        .fetch_all(p).await?);
    db.close().await;
    anyhow::ensure!(!checkpoints.is_empty(), "演示数据中没有格尔木的卡口");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let token = crate::load::login(&client, &o.url, "golmud_operator").await?;
    let run = format!("drill-{}", std::process::id());
    let answers = Arc::new(Answers::default());
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let began = Instant::now();
    println!(
        "故障演练：{} 个客户端经 {} 登记通行 {} 秒（未确认的以同一幂等键重发）",
        o.clients, o.url, o.seconds
    );
    let mut workers = Vec::new();
    for w in 0..o.clients as u64 {
        let (client, token, run) = (client.clone(), token.clone(), run.clone());
        let (answers, acked, cps) = (answers.clone(), acked.clone(), checkpoints.clone());
        let (url, secs) = (o.url.clone(), o.seconds);
        workers.push(tokio::spawn(async move {
            let mut k = 0u64;
            while began.elapsed() < Duration::from_secs(secs) {
                let n = w * 1_000_000 + k;
                let key = format!("{run}-{n}");
                let cp = cps[(n as usize) % cps.len()];
                let body = crate::load::passage_body(n);
                // The same registration until it is acknowledged (or the drill ends).
                while began.elapsed() < Duration::from_secs(secs + 20) {
                    let r = client
                        .post(format!("{url}/api/v1/checkpoints/{cp}/passages"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", &key)
                        .header("Content-Type", "application/json")
                        .body(body.to_string())
                        .send()
                        .await;
                    let status = match r {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    let c = match status {
                        200..=299 => &answers.ok,
                        503 => &answers.unavailable,
                        429 => &answers.throttled,
                        500..=599 => &answers.other_5xx,
                        400..=499 => &answers.client_error,
                        _ => &answers.no_answer,
                    };
                    c.fetch_add(1, Ordering::Relaxed);
                    if (200..300).contains(&status) {
                        if let Ok(mut a) = acked.lock() {
                            a.insert(key.clone());
                        }
                        break;
                    }
                    if (400..500).contains(&status) && status != 429 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                k += 1;
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let a = &answers;
    println!(
        "回答：成功 {}，503 {}，429 {}，其他 5xx {}，4xx {}，无回答（连接断开或超时）{}",
        a.ok.load(Ordering::Relaxed),
        a.unavailable.load(Ordering::Relaxed),
        a.throttled.load(Ordering::Relaxed),
        a.other_5xx.load(Ordering::Relaxed),
        a.client_error.load(Ordering::Relaxed),
        a.no_answer.load(Ordering::Relaxed),
    );
    let db = connect_with_patience(&o.db).await?;
    let like = format!("{run}-%");
    let stored: Vec<(String, i64)> = on_db!(&db, p => sqlx::query_as(
        "SELECT idempotency_key, COUNT(*) FROM passages WHERE idempotency_key LIKE $1 GROUP BY idempotency_key")
        .bind(&like).fetch_all(p).await?);
    db.close().await;
    let acked = acked.lock().map(|a| a.clone()).unwrap_or_default();
    let kept = compare(&acked, &stored.into_iter().collect());
    println!(
        "确认 {} 次登记；库中缺 {}，重复 {}，入库但未收到确认 {}",
        kept.acknowledged, kept.missing, kept.twice, kept.unacknowledged
    );
    anyhow::ensure!(kept.acknowledged > 0, "演练期间没有任何登记得到确认");
    anyhow::ensure!(
        kept.missing == 0 && kept.twice == 0,
        "已确认的登记有缺失或重复"
    );
    anyhow::ensure!(
        a.other_5xx.load(Ordering::Relaxed) == 0 && a.client_error.load(Ordering::Relaxed) == 0,
        "出现了 503 以外的 5xx 或 4xx 回答"
    );
    println!("演练通过");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_doubled_registration_is_counted() {
        let acked: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let stored: HashMap<String, i64> = [("a", 1), ("b", 2), ("d", 1)]
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect();
        assert_eq!(
            compare(&acked, &stored),
            Kept {
                acknowledged: 3,
                missing: 1,
                twice: 1,
                unacknowledged: 1
            }
        );
    }
}
