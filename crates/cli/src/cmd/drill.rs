//! The drill clock (演练时钟), for drills and tests only: `dualtrack serve --clock-file PATH`
//! takes "now" from an RFC 3339 time written in that file instead of the system clock, and
//! follows the file as it changes (read every 200 ms), waking the whistle scheduler so that
//! deadlines that have passed on the drill clock are acted on at once. The file is the
//! control: only whoever can write on the server's disk moves the time; there is no endpoint.

use anyhow::Context;
use chrono::{DateTime, Utc};
use dualtrack_service::clock::Clock;
use dualtrack_service::App;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub struct DrillClock {
    wakers: Arc<Mutex<Vec<Arc<Notify>>>>,
}

fn read(path: &Path) -> anyhow::Result<DateTime<Utc>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取演练时钟文件 {}", path.display()))?;
    let t = DateTime::parse_from_rfc3339(text.trim()).with_context(|| {
        format!(
            "演练时钟文件 {} 应为 RFC 3339 时间，如 2020-02-10T08:00:00+08:00，收到“{}”",
            path.display(),
            text.trim()
        )
    })?;
    Ok(t.with_timezone(&Utc))
}

impl DrillClock {
    /// Sets the application's clock from the file and follows it.
    pub fn start(app: &App, path: &Path) -> anyhow::Result<DrillClock> {
        let first = read(path)?;
        app.clock.set(Some(first));
        println!(
            "演练时钟：“现在”取自 {}（当前 {}），仅供演练与测试",
            path.display(),
            first.to_rfc3339()
        );
        let wakers: Arc<Mutex<Vec<Arc<Notify>>>> = Arc::default();
        let clock: Clock = app.clock.clone();
        let path: PathBuf = path.to_path_buf();
        let w = wakers.clone();
        tokio::spawn(async move {
            let mut last = first;
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                match read(&path) {
                    Ok(t) if t != last => {
                        last = t;
                        clock.set(Some(t));
                        tracing::info!(now = %t, "drill clock moved");
                        if let Ok(g) = w.lock() {
                            for n in g.iter() {
                                n.notify_one();
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "drill clock unreadable; time kept"),
                }
            }
        });
        Ok(DrillClock { wakers })
    }

    /// Wakes `n` whenever the drill clock moves.
    pub fn wake_on_change(&self, n: Arc<Notify>) {
        if let Ok(mut g) = self.wakers.lock() {
            g.push(n);
        }
    }
}
