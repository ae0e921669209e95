//! What the benchmarks that compare the app with the engine share: a PostgreSQL database of
//! their own for a run (made and dropped, or an empty one given), and `pgbench` run on a
//! script with a number of clients.

use dualtrack_store::{on_db, Db};
use std::time::Instant;

/// The database a benchmark runs on, and what to drop when it is done.
pub struct Scratch {
    pub db: Db,
    pub url: String,
    /// The database made for the run (dropped by [`Scratch::drop_made`]), none when an
    /// empty one was given.
    made: Option<(String, String)>,
}

/// Opens `url` (PostgreSQL): used as it is when it holds no table yet and the account may
/// create tables in it; otherwise a new database is made beside it for the run.
pub async fn scratch_pg(url: &str) -> anyhow::Result<Scratch> {
    let admin = Db::connect(url).await?;
    // Empty, and ours to write in (not, say, the maintenance database `postgres`).
    let empty: bool = on_db!(&admin, p => sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()) \
         AND has_schema_privilege(current_schema(), 'CREATE') AND current_database() <> 'postgres'")
        .fetch_one(p).await?);
    if empty {
        admin.migrate().await?;
        return Ok(Scratch {
            db: admin,
            url: url.to_string(),
            made: None,
        });
    }
    // A benchmark names its database by the time it runs.
    #[allow(clippy::disallowed_methods)]
    let name = format!(
        "dualtrack_bench_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    );
    on_db!(&admin, p => sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await.map(|_| ())?);
    admin.close().await;
    let new_url = with_database(url, &name)?;
    let db = Db::connect(&new_url).await?;
    db.migrate().await?;
    Ok(Scratch {
        db,
        url: new_url,
        made: Some((url.to_string(), name)),
    })
}

impl Scratch {
    /// A database given and kept as it is.
    pub fn given(db: Db, url: &str) -> Scratch {
        Scratch {
            db,
            url: url.to_string(),
            made: None,
        }
    }

    /// Says where the run writes.
    pub fn describe(&self) -> String {
        match &self.made {
            Some((_, name)) => format!("新建数据库 {name}（结束时删除）"),
            None => "给定的库（保留）".to_string(),
        }
    }

    /// Closes the database and drops it if it was made for the run.
    pub async fn drop_made(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some((admin_url, name)) = self.made {
            let admin = Db::connect(&admin_url).await?;
            on_db!(&admin, p => sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(p).await.map(|_| ())?);
            admin.close().await;
        }
        Ok(())
    }
}

/// `url` with its database replaced by `name` (the query string kept).
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let rest = base
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow::anyhow!("数据库地址无效：{url}"))?;
    let host_end = rest.find('/').map(|i| i + base.len() - rest.len());
    let head = match host_end {
        Some(i) => &base[..i],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    })
}

/// What `pgbench` did: transactions, seconds and transactions per second.
pub struct PgbenchRun {
    pub transactions: u64,
    pub seconds: f64,
    pub tps: f64,
}

/// Runs `pgbench -n -M prepared -f script` with `clients` clients, `transactions` in all,
/// against `url`.
pub async fn pgbench(
    url: &str,
    script: &str,
    clients: usize,
    transactions: usize,
) -> anyhow::Result<PgbenchRun> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("registration.sql");
    std::fs::write(&file, script)?;
    let clients = clients.max(1);
    let per_client = transactions.div_ceil(clients).max(1);
    let t = Instant::now();
    let out = tokio::process::Command::new("pgbench")
        .arg("-n")
        .args(["-M", "prepared"])
        .arg("-f")
        .arg(&file)
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.min(2).to_string()])
        .args(["-t", &per_client.to_string()])
        .arg(url)
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("无法运行 pgbench（Debian 软件包 postgresql-client）：{e}"))?;
    let seconds = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench 失败：{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let done = (clients * per_client) as u64;
    let processed = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("number of transactions actually processed:")
        })
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(done);
    // The rate without the connections' setup, as pgbench prints it.
    let tps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tps = "))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(processed as f64 / seconds.max(1e-9));
    Ok(PgbenchRun {
        transactions: processed,
        seconds,
        tps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x").ok(),
            Some("postgres://u:p@h:5432/x".to_string())
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x").ok(),
            Some("postgres://u:p@h/x?sslmode=disable".to_string())
        );
        assert_eq!(
            with_database("postgres://h", "x").ok(),
            Some("postgres://h/x".to_string())
        );
    }
}
