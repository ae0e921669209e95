//! Benchmarks that print figures. Run on demand: `dualtrack bench region-import`. The
//! arguments are parsed here; the benchmarks themselves are the `dualtrack-bench` crate.

use clap::Subcommand;
use dualtrack_bench as bench;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// 五百万条出入库（全省仓库、一年）：各仓库各物资截至某日结存的耗时分位数，按日汇总与逐条汇总对比
    Supplies {
        #[arg(long, default_value_t = 5_000_000)]
        movements: u64,
        /// 每项查询计时的次数
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// 海西州 2020 演示数据的载入耗时，指挥视图与每日简报经 HTTP 的耗时分位数
    Dashboard {
        /// 每个页面计时的次数
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// 全省规模：各条线基准的数据（青海省 63）写入同一个 SQLite 文件，由全省领导计时
        #[arg(long)]
        province: bool,
        /// 全省数据的 SQLite 文件：不存在则生成，已有的部分直接复用
        #[arg(long, requires = "province")]
        data: Option<std::path::PathBuf>,
        /// 只生成这些部分（region、passages、monitoring、resumption、mobilisation、supplies），不计时
        #[arg(long, requires = "province", value_delimiter = ',')]
        only: Vec<String>,
        /// 不含这些部分（计时时也不含）
        #[arg(long, requires = "province", value_delimiter = ',')]
        without: Vec<String>,
        /// 各部分规模的倍数（1 为各条线基准的规模）
        #[arg(long, default_value_t = 1.0, requires = "province")]
        scale: f64,
        /// 全省计时的日期
        #[arg(long, default_value = "2020-03-31", requires = "province")]
        as_of: String,
        /// 另以只读副本计时（PostgreSQL 热备库地址；same 表示同一数据库以只读方式打开，代替备库）
        #[arg(long, requires = "province")]
        replica_url: Option<String>,
        /// 数据库地址（取自全局参数 --db；PostgreSQL 时代替 --data）
        #[arg(skip)]
        db: Option<String>,
    },
    /// 导入海西州与全国区划到新的 SQLite 数据库，打印耗时
    RegionImport {
        /// 跳过全国（只测海西州）
        #[arg(long)]
        skip_country: bool,
    },
    /// 百万级人员与派驻：列表与计数的耗时分位数，Excel 导入速度
    Mobilisation {
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        #[arg(long, default_value_t = 3_000_000)]
        deployments: usize,
        #[arg(long, default_value_t = 100_000)]
        import_rows: usize,
        /// 同时进行的全部人员 Excel 导出个数（量其间的进程内存峰值）
        #[arg(long, default_value_t = 1)]
        exports: usize,
    },
    /// 个人信息加密的代价：同一库上不加密与 SM4 加密各登记一批通行、各读人员列表，打印速率、p95 与比值
    Crypto {
        /// 人员数
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        /// 每种方式计时的登记请求数
        #[arg(long, default_value_t = 4_000)]
        requests: usize,
        /// 并发客户端数
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// 每种方式读人员列表的次数
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// 卡口通行登记：预置数百万次通行的库上，经 HTTP 并发登记的吞吐量与延迟分位数，同样的行由引擎直接写入（PostgreSQL 用 pgbench）的速率与两者之比
    Passages {
        /// 预置的通行次数（每次 2 人）
        #[arg(long, default_value_t = 5_000_000)]
        prefilled: u64,
        /// 计时的登记请求数
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// 并发客户端数
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// 数据库地址（取自全局参数 --db；PostgreSQL 时新建一个库，结束时删除，给的是空库则直接用它）
        #[arg(skip)]
        db: Option<String>,
    },
    /// 一百万隔离与健康监测对象（一年）及其随访：各县在管人数与随访超时的耗时分位数，与逐条计算对比
    Monitoring {
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
        /// 每个对象写入的随访次数（最近的几次）
        #[arg(long, default_value_t = 4)]
        followups: usize,
        /// 每项查询计时的次数
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// 负载与故障：先测服务能力，再以其 10 倍冲击一分钟（客户端超时即断开），再回到正常负载；打印接受、拒绝、超时、5xx、延迟、内存与恢复时间
    Load {
        /// 数据库地址（默认临时 SQLite 文件；PostgreSQL 请给一个空库或已有演示数据的库）
        #[arg(long = "url")]
        db: Option<String>,
        /// 冲击持续秒数
        #[arg(long, default_value_t = 60)]
        surge_seconds: u64,
        /// 冲击速率为服务能力的几倍
        #[arg(long, default_value_t = 10.0)]
        factor: f64,
        /// 客户端超时（毫秒），超时即断开连接
        #[arg(long, default_value_t = 2_000)]
        client_timeout_ms: u64,
        /// 同时在途的客户端至多几个
        #[arg(long, default_value_t = 3_000)]
        max_clients: usize,
        /// 冲击后以正常速率（能力的一半）继续几秒
        #[arg(long, default_value_t = 20)]
        after_seconds: u64,
        /// 冲击几轮（每轮之后静置并读内存：泄漏逐轮增长，高水位不再增长）
        #[arg(long, default_value_t = 1)]
        surges: u32,
        /// 用另一个 dualtrack 程序提供服务（同一次运行中比较两个版本）
        #[arg(long)]
        server: Option<std::path::PathBuf>,
    },
    /// 故障演练：经负载均衡持续登记通行（未确认的以同一幂等键重发），其间由 scripts/cluster.sh 杀掉实例、提升备库；最后核对已确认的登记无缺无重、无 503 以外的 5xx
    Drill {
        /// 负载均衡的地址
        #[arg(long)]
        url: String,
        /// 数据库地址（开始时读卡口，结束时核对）
        #[arg(long = "db-url")]
        db: String,
        /// 持续秒数
        #[arg(long, default_value_t = 40)]
        seconds: u64,
        /// 并发客户端数
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// 后台任务（删除到期个人信息、日结）与并发的通行登记：登记最长等待与 p99，任务用时与批数
    Jobs {
        /// 数据所在的 SQLite 文件：不存在则生成，已有的部分直接复用（可与 bench dashboard --province 共用）
        #[arg(long)]
        data: Option<std::path::PathBuf>,
        /// 规模（1 为全省基准：五百万次通行、一百万个对象、五百万条出入库）
        #[arg(long, default_value_t = 0.1)]
        scale: f64,
        /// 并发登记的卡口工作人员数
        #[arg(long, default_value_t = 4)]
        writers: usize,
        /// 后台任务每个事务写入的行数（0：每个任务一个事务，即旧做法）
        #[arg(long, default_value_t = dualtrack_service::DEFAULT_JOB_BATCH)]
        batch: usize,
        /// 先计时多少秒没有后台任务的登记，作为对照
        #[arg(long, default_value_t = 10)]
        quiet_seconds: u64,
        /// 数据库地址（取自全局参数 --db；PostgreSQL 时用它代替 --data）
        #[arg(skip)]
        db: Option<String>,
    },
    /// 一万家规上企业、一年日报：按日汇总与逐条计算的复工率耗时对比，县全年序列
    Resumption {
        #[arg(long, default_value_t = 10_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 365)]
        days: usize,
    },
}

pub async fn run(c: BenchCommand) -> anyhow::Result<()> {
    match c {
        BenchCommand::Supplies { movements, runs } => bench::supplies::run(movements, runs).await?,
        BenchCommand::Mobilisation {
            people,
            deployments,
            import_rows,
            exports,
        } => bench::mobilisation::run(people, deployments, import_rows, exports).await?,
        BenchCommand::Crypto {
            people,
            requests,
            clients,
            runs,
        } => bench::crypto::run(people, requests, clients, runs).await?,
        BenchCommand::Passages {
            prefilled,
            requests,
            clients,
            db,
        } => {
            bench::passages::run(bench::passages::Options {
                prefilled,
                requests,
                clients,
                db,
            })
            .await?
        }
        BenchCommand::Monitoring {
            cases,
            followups,
            runs,
        } => bench::monitoring::run(cases, followups, runs).await?,
        BenchCommand::Dashboard {
            runs,
            province,
            data,
            only,
            scale,
            without,
            as_of,
            replica_url,
            db,
        } => {
            let p = province.then_some(bench::dashboard::Province {
                data,
                only,
                scale,
                without,
                as_of,
                db,
                replica: replica_url,
            });
            bench::dashboard::run(runs, p).await?
        }
        BenchCommand::Load {
            db,
            surge_seconds,
            factor,
            client_timeout_ms,
            max_clients,
            after_seconds,
            surges,
            server,
        } => {
            bench::load::run(bench::load::LoadOptions {
                server,
                db,
                surge_seconds,
                factor,
                client_timeout_ms,
                max_clients,
                after_seconds,
                surges,
            })
            .await?
        }
        BenchCommand::Drill {
            url,
            db,
            seconds,
            clients,
        } => {
            bench::drill::run(bench::drill::DrillOptions {
                url,
                db,
                seconds,
                clients,
            })
            .await?
        }
        BenchCommand::Jobs {
            data,
            scale,
            writers,
            batch,
            quiet_seconds,
            db,
        } => {
            bench::jobs::run(bench::jobs::Jobs {
                data,
                db,
                scale,
                writers,
                batch,
                quiet_seconds,
            })
            .await?
        }
        BenchCommand::Resumption { enterprises, days } => {
            bench::resumption::run(enterprises, days).await?
        }
        BenchCommand::RegionImport { skip_country } => bench::region::run(skip_country).await?,
    }
    Ok(())
}
