//! `dualtrack`: the one binary of 双线指挥平台 — server, demo, migrations, regions,
//! accounts, backup and benchmarks.

mod cmd;
mod config;

/// An allocator that gives memory back to the system after a surge, rather than keeping
/// every arena it grew.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};
use config::{Overrides, Settings};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dualtrack",
    version,
    about = "双线指挥平台：疫情防控与复工复产"
)]
struct Cli {
    /// 配置文件（TOML）
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// 数据库地址：sqlite://文件 或 postgres://…（也可用环境变量 DUALTRACK_DB）
    #[arg(long, global = true)]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动网页与接口服务
    Serve {
        /// 监听地址，如 127.0.0.1:8080（端口 0 表示任选空闲端口）
        #[arg(long)]
        listen: Option<String>,
        /// 数据库为空时载入海西州 2020 演示数据
        #[arg(long)]
        demo: bool,
        /// 演练时钟（仅供演练与测试）：从该文件读取 RFC 3339 时间作为“现在”，文件改动即生效
        #[arg(long)]
        clock_file: Option<PathBuf>,
    },
    /// 向数据库载入海西州 2020 演示数据（不启动服务）
    Demo,
    /// 执行数据库迁移
    Migrate,
    /// 行政区划
    #[command(subcommand)]
    Region(cmd::region::RegionCommand),
    /// 账户
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// 在线备份数据库
    Backup {
        /// 备份文件
        #[arg(long)]
        to: PathBuf,
    },
    /// 从备份恢复数据库（先停止服务；SQLite 整个替换数据库文件）
    Restore {
        /// 备份文件（由 backup 写出）
        #[arg(long)]
        from: PathBuf,
        /// 数据库文件已存在时仍然替换
        #[arg(long)]
        force: bool,
    },
    /// 审计日志的封存链
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 个人信息的数据密钥（SM4）
    #[command(subcommand)]
    Keys(KeysCommand),
    /// 删除保存期已过的个人信息（解除隔离或监测满 prevention.retention_days 天）
    Retention,
    /// 每日简报：某地截至某日的疫情防控和复工复产工作简报（默认 Markdown 打印到标准输出）
    Brief {
        /// 地区代码，如 6328
        #[arg(long)]
        jurisdiction: String,
        /// 截至日期 年-月-日（默认今天）
        #[arg(long)]
        date: Option<String>,
        /// 写成 Word 文件（.docx）或 Markdown 文件（.md），按扩展名
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 等级保护三级应用安全说明（按现行配置生成，供测评）
    Compliance {
        /// 写成 Word 文件（.docx）；不给时在屏幕上列出
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 某地截至某日的全部指标
    Stats {
        /// 地区代码，如 6328
        #[arg(long)]
        jurisdiction: String,
        /// 截至日期 年-月-日（默认今天）
        #[arg(long)]
        date: Option<String>,
        /// 以 JSON 打印
        #[arg(long)]
        json: bool,
    },
    /// 打印带注释的配置文件示例
    DefaultConfig,
    /// 性能基准（打印数据）
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// 各表按密钥统计行数
    Status,
    /// 生成新密钥（追加到密钥文件），服务运行中分批将全部个人信息以新密钥重新加密
    Rotate {
        /// 等待其他服务实例读入新密钥的秒数，之后再检查一遍
        #[arg(long, default_value_t = 15)]
        grace_seconds: u64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 校验审计链：逐条核对封存，指出第一处断裂（断裂或未启用时退出码非零）
    Verify,
    /// 立即封存尚未封存的审计记录（服务运行时每几秒自动封存）
    Seal,
    /// 立即归档超过保存期的已封存审计记录（服务运行时每日自动归档）：写入签名的归档文件后从库中移除
    Archive,
    /// 校验一个归档文件：逐行核对封存链与文件签名，指出被改动的行（不符时退出码非零）
    VerifyArchive {
        /// 归档文件（.jsonl.gz）
        file: std::path::PathBuf,
    },
}

/// The help in Chinese: clap's own headings, help and version flags and default-value notes
/// are English, so each command gets a template, headings and flags of its own.
fn in_chinese(cmd: clap::Command, top: bool) -> clap::Command {
    let mut cmd = cmd
        .help_template("{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .mut_args(|a| {
            let heading = if a.is_positional() {
                "参数"
            } else {
                "选项"
            };
            let a = match a.get_help_heading() {
                Some(_) => a,
                None => a.help_heading(heading),
            };
            let defaults: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if defaults.is_empty() || a.is_hide_default_value_set() {
                return a;
            }
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            a.hide_default_value(true)
                .help(format!("{help}（默认 {}）", defaults.join("、")))
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("打印帮助")
                .help_heading("选项"),
        );
    if top {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("打印版本号")
                .help_heading("选项"),
        );
    }
    cmd.mut_subcommands(|c| in_chinese(c, false))
}

fn main() -> ExitCode {
    let matches = in_chinese(Cli::command(), true).get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The jobs, passages and dashboard benchmarks run on the database the global --db names, if any.
    if let Command::Bench(
        cmd::bench::BenchCommand::Jobs { db, .. }
        | cmd::bench::BenchCommand::Passages { db, .. }
        | cmd::bench::BenchCommand::Dashboard { db, .. },
    ) = &mut cli.command
    {
        db.clone_from(&cli.db);
    }
    if let Command::DefaultConfig = cli.command {
        print!("{}", config::EXAMPLE);
        return ExitCode::SUCCESS;
    }
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let settings = match Settings::load(
        cli.config.as_deref(),
        &Overrides {
            db: cli.db.clone(),
            listen,
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("错误：{e:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(return_freed_memory)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How often at most a worker going idle asks the allocator to give back what it freed.
const COLLECT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

thread_local! {
    static LAST_COLLECT: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// Called when a worker thread goes idle. A request's memory is often freed on another
/// worker than the one that allocated it; the allocator hands such pages back only when
/// their owning thread collects, and an idle worker never would. So a worker going idle
/// collects, at most once a second, and memory grown in a surge goes back once it is over.
/// SQLite allocates through the C library's allocator instead, in the thread of each of its
/// connections; the C library keeps what a closed connection freed (its page cache) in that
/// thread's arena, so the same moment also asks it to give back its free pages.
fn return_freed_memory() {
    let now = std::time::Instant::now();
    let due = LAST_COLLECT.with(|c| {
        let due = collect_due(c.get(), now);
        if due {
            c.set(Some(now));
        }
        due
    });
    if due {
        // SAFETY: `mi_collect` takes no pointers and only tidies the calling thread's heap
        // (and pages abandoned by threads that ended); it is safe to call at any time.
        unsafe { libmimalloc_sys::mi_collect(false) };
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if trim_due(&LAST_TRIM, now) {
            // SAFETY: `malloc_trim` takes no pointers; it returns the free pages of every
            // arena of the C library's allocator to the system, under each arena's own lock.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

/// How often at most the C library's allocator is asked to give back its free pages: it
/// walks every arena under that arena's lock, which SQLite's connections wait for, so it is
/// done for the whole process at most every ten seconds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// When the process last trimmed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static LAST_TRIM: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

/// Whether this worker trims now: the first to find the last trim older than
/// [`TRIM_EVERY`] does, the others go on.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_due(
    last_trim: &std::sync::Mutex<Option<std::time::Instant>>,
    now: std::time::Instant,
) -> bool {
    let Ok(mut last) = last_trim.try_lock() else {
        return false;
    };
    if last.is_some_and(|t| now.duration_since(t) < TRIM_EVERY) {
        return false;
    }
    *last = Some(now);
    true
}

/// Whether a worker that last collected at `last` collects again `now`.
fn collect_due(last: Option<std::time::Instant>, now: std::time::Instant) -> bool {
    last.is_none_or(|t| now.duration_since(t) >= COLLECT_EVERY)
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(format!("{level},sqlx=warn")))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            demo, clock_file, ..
        } => cmd::serve::run(&settings, demo, clock_file.as_deref()).await,
        Command::Demo => cmd::serve::demo(&settings).await,
        Command::Migrate => cmd::migrate(&settings).await,
        Command::Region(c) => cmd::region::run(&settings, c).await,
        Command::User(c) => cmd::user::run(&settings, c).await,
        Command::Backup { to } => cmd::backup(&settings, &to).await,
        Command::Restore { from, force } => cmd::restore(&settings, &from, force).await,
        Command::Retention => cmd::retention(&settings).await,
        Command::Keys(KeysCommand::Status) => cmd::keys::status(&settings).await,
        Command::Keys(KeysCommand::Rotate { grace_seconds }) => {
            cmd::keys::rotate(&settings, grace_seconds).await
        }
        Command::Audit(AuditCommand::Verify) => cmd::audit::verify(&settings).await,
        Command::Audit(AuditCommand::Seal) => cmd::audit::seal(&settings).await,
        Command::Audit(AuditCommand::Archive) => cmd::audit::archive(&settings).await,
        Command::Audit(AuditCommand::VerifyArchive { file }) => {
            cmd::audit::verify_archive(&settings, &file)
        }
        Command::Brief {
            jurisdiction,
            date,
            out,
        } => cmd::brief(&settings, &jurisdiction, date, out.as_deref()).await,
        Command::Compliance { out } => cmd::compliance::run(&settings, out.as_deref()).await,
        Command::Stats {
            jurisdiction,
            date,
            json,
        } => cmd::stats(&settings, &jurisdiction, date, json).await,
        Command::DefaultConfig => Ok(()),
        Command::Bench(c) => cmd::bench::run(c).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn an_idle_worker_collects_at_most_once_a_second() {
        let now = Instant::now();
        assert!(collect_due(None, now), "a worker that never collected does");
        assert!(!collect_due(Some(now), now), "not again at once");
        assert!(!collect_due(Some(now), now + Duration::from_millis(999)));
        assert!(collect_due(Some(now), now + COLLECT_EVERY));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_c_allocator_is_trimmed_once_in_ten_seconds_for_the_whole_process() {
        let last = std::sync::Mutex::new(None);
        let now = std::time::Instant::now();
        assert!(trim_due(&last, now), "the first worker to go idle trims");
        assert!(
            !trim_due(&last, now),
            "another worker going idle then does not"
        );
        assert!(!trim_due(&last, now + Duration::from_secs(9)));
        assert!(
            trim_due(&last, now + TRIM_EVERY),
            "ten seconds later one does again"
        );
        let held = last.lock().expect("the lock");
        assert!(
            !trim_due(&last, now + TRIM_EVERY * 3),
            "a worker that finds another trimming goes on"
        );
        drop(held);
    }

    #[test]
    fn collecting_on_a_worker_keeps_the_runtime_working() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_park(return_freed_memory)
            .build()
            .expect("runtime");
        let sum: usize = rt.block_on(async {
            let mut tasks = Vec::new();
            for i in 0..64usize {
                tasks.push(tokio::spawn(async move {
                    let v = vec![i; 10_000];
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    v.iter().sum::<usize>()
                }));
            }
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("task");
            }
            sum
        });
        assert_eq!(sum, (0..64usize).map(|i| i * 10_000).sum::<usize>());
    }
}
