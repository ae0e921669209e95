//! `dualtrack bench load`: the server under a surge. A server process is started on the
//! Haixi demo; the benchmark measures what it serves with a few steady clients, then offers
//! ten times that for a minute from clients that give up after a timeout (and drop their
//! connection), then goes back to a normal rate. It prints what was accepted, shed (503 or
//! 429), timed out and failed, the latencies of what was accepted, the server's memory,
//! and how long service took to return to normal.

use crate::stats::percentile;
use dualtrack_domain::resident_id::check_char;
use dualtrack_service::App;
use dualtrack_store::{on_db, Db};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct LoadOptions {
    pub db: Option<String>,
    pub surge_seconds: u64,
    pub factor: f64,
    pub client_timeout_ms: u64,
    pub max_clients: usize,
    pub after_seconds: u64,
    /// How many surges, each followed by the normal rate and a quiet (memory after each).
    pub surges: u32,
    /// Another `dualtrack` binary to serve with (to compare two versions in one run).
    pub server: Option<std::path::PathBuf>,
}

/// How long the server is left with nothing to do before its memory is read at rest: longer
/// than the pool keeps an unused connection, and its reaper's round.
const QUIET: Duration = Duration::from_secs(45);

/// What one phase saw.
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    accepted: AtomicU64,
    shed: AtomicU64,
    timed_out: AtomicU64,
    other_5xx: AtomicU64,
    other_4xx: AtomicU64,
    refused: AtomicU64,
    not_sent: AtomicU64,
    /// (second since the phase began, latency in ms) of each accepted request.
    latencies: Mutex<Vec<(u64, f64)>>,
    /// Second since the phase began of each request that was not accepted.
    failures: Mutex<Vec<u64>>,
}

impl Tally {
    fn accepted_ms(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .latencies
            .lock()
            .map(|l| l.iter().map(|(_, ms)| *ms).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }
}

struct Target {
    base: String,
    operator: String,
    liaison: String,
    checkpoints: Vec<i64>,
    enterprises: Vec<i64>,
}

fn id_number(prefix6: &str, n: u64) -> String {
    let first17 = format!("{prefix6}19800101{:03}", n % 1000);
    let c = check_char(first17.as_bytes()).unwrap_or('0');
    format!("{first17}{c}")
}

/// The n-th request of the mix, posting `body` to `url` as the holder of `token`.
fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    n: u64,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", format!("load-{n}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
}

/// The n-th benchmark passage: a truck from Dunhuang into Golmud with one traveller.
pub(crate) fn passage_body(n: u64) -> serde_json::Value {
    serde_json::json!({
        "plate": format!("青H{:05}", n % 100_000),
        "vehicle_class": "truck",
        "origin": "甘肃省敦煌市",
        "destination": "632801100",
        "reason": "运输物资",
        "travellers": [
            {"name": "马海军", "id_number": id_number("620982", n), "phone": "13897001234",
             "temperature": 36.6, "outcome": "through"}
        ]
    })
}

/// The n-th request of the mix: a passage at a Golmud checkpoint or an enterprise's daily
/// report, each with an idempotency key of its own.
fn request(client: &reqwest::Client, t: &Target, n: u64) -> reqwest::RequestBuilder {
    if n.is_multiple_of(2) {
        let cp = t.checkpoints[(n as usize / 2) % t.checkpoints.len()];
        let body = passage_body(n);
        post(
            client,
            format!("{}/api/v1/checkpoints/{cp}/passages", t.base),
            &t.operator,
            n,
            &body,
        )
    } else {
        let e = t.enterprises[(n as usize / 2) % t.enterprises.len()];
        // Days of February up to the demo's own day (2020-02-27): a report for a later day
        // is refused as not yet come.
        let day = 1 + (n / 2) % 27;
        // The figures vary beyond some enterprises' usual ones; the liaison has confirmed
        // them, as the form asks when the server doubts a report.
        let body = serde_json::json!({
            "report_date": format!("2020-02-{day:02}"),
            "status": "resumed",
            "confirm_implausible": true,
            "on_duty": 50 + n % 50,
            "checks_passed": 5,
            "output": 100 + n % 100,
        });
        post(
            client,
            format!("{}/api/v1/enterprises/{e}/reports", t.base),
            &t.liaison,
            n,
            &body,
        )
    }
}

async fn one(
    client: reqwest::Client,
    target: Arc<Target>,
    n: u64,
    timeout: Duration,
    tally: Arc<Tally>,
    began: Instant,
) {
    tally.sent.fetch_add(1, Ordering::Relaxed);
    let s = Instant::now();
    let second = began.elapsed().as_secs();
    let r = tokio::time::timeout(timeout, async {
        let resp = request(&client, &target, n).send().await?;
        let status = resp.status();
        let _ = resp.bytes().await?;
        Ok::<_, reqwest::Error>(status)
    })
    .await;
    let fail = |c: &AtomicU64| {
        c.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = tally.failures.lock() {
            f.push(second);
        }
    };
    match r {
        Ok(Ok(status)) if status.is_success() => {
            tally.accepted.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut l) = tally.latencies.lock() {
                l.push((second, s.elapsed().as_secs_f64() * 1000.0));
            }
        }
        Ok(Ok(status)) if status.as_u16() == 503 || status.as_u16() == 429 => fail(&tally.shed),
        Ok(Ok(status)) if status.is_server_error() => fail(&tally.other_5xx),
        Ok(Ok(_)) => fail(&tally.other_4xx),
        Ok(Err(_)) => fail(&tally.refused),
        Err(_) => fail(&tally.timed_out),
    }
}

/// Offers `rate` requests a second for `secs` seconds, open loop: a request is started at
/// its time whatever became of the earlier ones, up to `max_clients` at once (beyond that
/// it is counted as not sent).
async fn open_loop(
    target: &Arc<Target>,
    rate: f64,
    secs: u64,
    timeout: Duration,
    max_clients: usize,
    first: &mut u64,
    rss: &Rss,
) -> Arc<Tally> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(max_clients)
        .build()
        .unwrap_or_default();
    let tally = Arc::new(Tally::default());
    let slots = Arc::new(tokio::sync::Semaphore::new(max_clients));
    let began = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    let mut offered = 0u64;
    while began.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        rss.sample();
        let due = (began.elapsed().as_secs_f64() * rate) as u64;
        while offered < due {
            offered += 1;
            *first += 1;
            match slots.clone().try_acquire_owned() {
                Ok(p) => {
                    let (client, target, tally) = (client.clone(), target.clone(), tally.clone());
                    let n = *first;
                    tokio::spawn(async move {
                        one(client, target, n, timeout, tally, began).await;
                        drop(p);
                    });
                }
                Err(_) => {
                    tally.not_sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    // The last requests end (each within its timeout).
    let _ = slots.acquire_many(max_clients as u32).await;
    tally
}

/// The server's resident memory: now, and the highest seen.
struct Rss {
    pid: u32,
    peak: AtomicU64,
}

impl Rss {
    /// A figure of the process's status, in bytes.
    fn status(&self, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|k| k.parse::<u64>().ok())
            })
            .unwrap_or(0)
            * 1024
    }

    fn now(&self) -> u64 {
        self.status("VmRSS:")
    }

    /// The part of resident memory that is not pages of files (the program's own code):
    /// the heap, stacks and buffers.
    fn anon(&self) -> u64 {
        self.status("RssAnon:")
    }

    fn sample(&self) -> u64 {
        let n = self.now();
        self.peak.fetch_max(n, Ordering::Relaxed);
        n
    }
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(
    url: &str,
    exe: Option<&std::path::Path>,
    log: &std::path::Path,
) -> anyhow::Result<Server> {
    let exe = match exe {
        Some(e) => e.to_path_buf(),
        None => std::env::current_exe()?,
    };
    let mut child = Command::new(exe)
        .args(["--db", url, "serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("DUALTRACK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("服务无输出"))?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let Some(line) = lines.next() else {
            anyhow::bail!("服务未能启动");
        };
        let line = line?;
        if let Some(rest) = line.split("http://").nth(1) {
            let addr = rest.split('/').next().unwrap_or_default();
            break format!("http://{addr}");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { child, base })
}

pub(crate) async fn login(
    client: &reqwest::Client,
    base: &str,
    user: &str,
) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body(
            serde_json::json!({"username": user, "password": dualtrack_service::demo::DEMO_PASSWORD})
                .to_string(),
        )
        .send()
        .await?;
    let v: serde_json::Value = serde_json::from_str(&r.text().await?)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{user} 登录失败：{v}"))
}

fn summary(label: &str, t: &Tally, secs: f64) {
    let ms = t.accepted_ms();
    println!(
        "{label}：发出 {}（未发出 {}），接受 {}（{:.0} 次/秒），拒绝 503/429 {}，客户端超时 {}，其他 5xx {}，4xx {}，连接失败 {}；接受的 p50 {:.1} ms，p99 {:.1} ms",
        t.sent.load(Ordering::Relaxed),
        t.not_sent.load(Ordering::Relaxed),
        t.accepted.load(Ordering::Relaxed),
        t.accepted.load(Ordering::Relaxed) as f64 / secs,
        t.shed.load(Ordering::Relaxed),
        t.timed_out.load(Ordering::Relaxed),
        t.other_5xx.load(Ordering::Relaxed),
        t.other_4xx.load(Ordering::Relaxed),
        t.refused.load(Ordering::Relaxed),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
    );
}

pub async fn run(o: LoadOptions) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url =
        o.db.clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("load.db").display()));
    let log = dir.path().join("server.log");
    // The demo is loaded by this program, or by the other server program (whose schema may
    // be older than this one's), before the ids of its checkpoints and enterprises are read.
    let server = match &o.server {
        Some(_) => Some(start_server(&url, o.server.as_deref(), &log)?),
        None => None,
    };
    let db = Db::connect(&url).await?;
    if server.is_none() {
        db.migrate().await?;
        App::new(db.clone(), crate::bench_security())
            .load_demo()
            .await?;
    }
    let checkpoints: Vec<i64> = on_db!(&db, p => sqlx::query_scalar(
        "SELECT id FROM checkpoints WHERE jurisdiction_code >= '632801' AND jurisdiction_code < '632801:' ORDER BY id")
        .fetch_all(p).await?);
    let enterprises: Vec<i64> = on_db!(&db, p => sqlx::query_scalar(
        "SELECT id FROM enterprises WHERE jurisdiction_code >= '632801' AND jurisdiction_code < '632801:' ORDER BY id")
        .fetch_all(p).await?);
    db.close().await;
    anyhow::ensure!(
        !checkpoints.is_empty() && !enterprises.is_empty(),
        "演示数据中没有格尔木的卡口或企业"
    );
    let server = match server {
        Some(s) => s,
        None => start_server(&url, None, &log)?,
    };
    let rss = Rss {
        pid: server.child.id(),
        peak: AtomicU64::new(0),
    };
    let client = reqwest::Client::new();
    let target = Arc::new(Target {
        base: server.base.clone(),
        operator: login(&client, &server.base, "golmud_operator").await?,
        liaison: login(&client, &server.base, "liaison").await?,
        checkpoints,
        enterprises,
    });
    println!(
        "负载与故障基准（{}，服务进程 {}，海西州演示数据；一半卡口通行登记、一半企业日报）",
        dualtrack_store::Engine::from_url(&url)
            .map(|e| e.name())
            .unwrap_or("?"),
        server.base
    );
    let timeout = Duration::from_millis(o.client_timeout_ms);
    let mut n = 0u64;

    // What the server serves: 16 steady clients, 10 seconds.
    let capacity = {
        let tally = Arc::new(Tally::default());
        let began = Instant::now();
        let mut workers = Vec::new();
        let client = reqwest::Client::new();
        for w in 0..16u64 {
            let (client, target, tally) = (client.clone(), target.clone(), tally.clone());
            workers.push(tokio::spawn(async move {
                let mut k = 0;
                while began.elapsed() < Duration::from_secs(10) {
                    one(
                        client.clone(),
                        target.clone(),
                        10_000_000 + w * 1_000_000 + k,
                        Duration::from_secs(10),
                        tally.clone(),
                        began,
                    )
                    .await;
                    k += 1;
                }
            }));
        }
        for w in workers {
            w.await?;
        }
        let secs = began.elapsed().as_secs_f64();
        summary("容量（16 个持续客户端，10 秒）", &tally, secs);
        tally.accepted.load(Ordering::Relaxed) as f64 / secs
    };
    anyhow::ensure!(capacity > 0.0, "服务在稳定负载下没有接受任何请求");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start_rss = rss.sample();
    // And once the server has been quiet long enough to close the connections it no longer
    // needs, to compare with the same quiet after the surge.
    tokio::time::sleep(QUIET).await;
    let start_quiet = rss.sample();
    let start_anon = rss.anon();

    let growth = |a: u64, b: u64| (b as f64 / a.max(1) as f64 - 1.0) * 100.0;
    let mut rounds = Vec::new();
    for round in 1..=o.surges.max(1) {
        if o.surges > 1 {
            println!("第 {round} 轮：");
        }
        let (end_rss, end_quiet, end_anon) =
            surge_round(&o, &target, capacity, timeout, &mut n, &rss).await;
        println!(
            "服务内存（RSS）：开始 {:.1} MB，峰值 {:.1} MB，结束 {:.1} MB（较开始 {:+.0}%）；\
             静置 {} 秒后：冲击前 {:.1} MB，冲击后 {:.1} MB（{:+.0}%）",
            mb(start_rss),
            mb(rss.peak.load(Ordering::Relaxed)),
            mb(end_rss),
            growth(start_rss, end_rss),
            QUIET.as_secs(),
            mb(start_quiet),
            mb(end_quiet),
            growth(start_quiet, end_quiet)
        );
        println!(
            "  其中程序文件以外的内存（RssAnon，堆、栈与缓冲）：冲击前 {:.1} MB，冲击后 {:.1} MB（{:+.0}%）",
            mb(start_anon),
            mb(end_anon),
            growth(start_anon, end_anon)
        );
        rounds.push((end_quiet, end_anon));
    }
    if rounds.len() > 1 {
        // What stays after each round: a leak grows with every round, a high-water mark does
        // not grow after the first.
        let each: Vec<String> = rounds
            .iter()
            .enumerate()
            .map(|(i, (q, a))| {
                format!(
                    "第 {} 轮后 RSS {:.1} MB、RssAnon {:.1} MB",
                    i + 1,
                    mb(*q),
                    mb(*a)
                )
            })
            .collect();
        println!(
            "各轮静置后的内存（冲击前 RSS {:.1} MB、RssAnon {:.1} MB）：{}",
            mb(start_quiet),
            mb(start_anon),
            each.join("；")
        );
    }
    let healthy = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    println!("结束时 /healthz：{healthy}");
    drop(server);
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let errors: Vec<&str> = logged.lines().filter(|l| l.contains("ERROR")).collect();
    println!(
        "服务日志：{} 行警告，{} 行错误",
        logged.lines().count() - errors.len(),
        errors.len()
    );
    for line in errors.iter().take(5) {
        println!("  {line}");
    }
    Ok(())
}

/// One surge of `o.factor` times the capacity, then the normal rate; prints what each phase
/// saw and when service was normal again, and answers the memory 5 seconds after it, after
/// the quiet, and the non-file part then.
async fn surge_round(
    o: &LoadOptions,
    target: &Arc<Target>,
    capacity: f64,
    timeout: Duration,
    n: &mut u64,
    rss: &Rss,
) -> (u64, u64, u64) {
    // The surge: ten times that, clients that give up after the timeout.
    let surge_rate = capacity * o.factor;
    println!(
        "冲击：{:.0} 次/秒（容量的 {:.0} 倍），{} 秒，客户端 {} ms 超时即断开，同时至多 {} 个客户端",
        surge_rate, o.factor, o.surge_seconds, o.client_timeout_ms, o.max_clients
    );
    let surge = open_loop(
        target,
        surge_rate,
        o.surge_seconds,
        timeout,
        o.max_clients,
        n,
        rss,
    )
    .await;
    summary("冲击期间", &surge, o.surge_seconds as f64);
    let surge_end = Instant::now();

    // Back to normal: half the capacity.
    let normal_rate = capacity * 0.5;
    let after = open_loop(
        target,
        normal_rate,
        o.after_seconds,
        timeout,
        o.max_clients,
        n,
        rss,
    )
    .await;
    summary(
        &format!("冲击之后（{normal_rate:.0} 次/秒，{} 秒）", o.after_seconds),
        &after,
        o.after_seconds as f64,
    );
    // Back to normal: the first second from which every request is accepted within 500 ms.
    let lat = after
        .latencies
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    let fails = after.failures.lock().map(|f| f.clone()).unwrap_or_default();
    let bad_second =
        |s: u64| fails.contains(&s) || lat.iter().any(|(sec, ms)| *sec == s && *ms >= 500.0);
    let recovered = (0..o.after_seconds)
        .find(|&s| (s..o.after_seconds).all(|k| !bad_second(k)))
        .map(|s| format!("{s} 秒内"))
        .unwrap_or_else(|| format!("{} 秒内未恢复", o.after_seconds));
    println!(
        "恢复正常（此后每秒的请求全部在 500 ms 内被接受）：冲击结束后 {recovered}（测得于冲击结束 {:.1} 秒后）",
        surge_end.elapsed().as_secs_f64()
    );
    // The seconds that were not normal, to read beside the server's log.
    let slow: Vec<String> = (0..o.after_seconds)
        .filter(|&s| bad_second(s))
        .map(|s| {
            let n = lat
                .iter()
                .filter(|(sec, ms)| *sec == s && *ms >= 500.0)
                .count();
            let worst = lat
                .iter()
                .filter(|(sec, _)| *sec == s)
                .map(|(_, ms)| *ms)
                .fold(0.0, f64::max);
            let failed = fails.iter().filter(|f| **f == s).count();
            format!("第 {s} 秒：{n} 次超过 500 ms（最长 {worst:.0} ms），{failed} 次未被接受")
        })
        .collect();
    if !slow.is_empty() {
        println!("  冲击之后不正常的秒：{}", slow.join("；"));
    }

    // Memory, a few seconds after the load, and after the same quiet as before the surge.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let end_rss = rss.sample();
    tokio::time::sleep(QUIET).await;
    (end_rss, rss.sample(), rss.anon())
}
