//! The evaluator's evidence for 等级保护 level three (GB/T 22239-2019, the application's
//! controls): for each control, how the product meets it, the values in force in this
//! installation, and how to check it; then what the deploying unit must do itself. Written
//! as a Word document by `dualtrack compliance`, from the running configuration.

use crate::briefing::{official_docx, BriefSection};
use crate::second_factor::Policy;
use crate::{App, ServiceResult};

/// What the application sees of its deployment beyond its own settings: filled in by the
/// command line from the configuration in force.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// The database engine's name.
    pub engine: String,
    /// The server speaks HTTPS itself.
    pub tls: bool,
    /// What its certificate file shows (subject and expiry), or why it cannot serve.
    pub certificate: Option<Result<String, String>>,
    /// Session cookies carry `Secure`.
    pub secure_cookies: bool,
    /// Where audit archive files are written (none: not archived).
    pub archive_dir: Option<String>,
    /// The syslog server sealed audit rows are forwarded to.
    pub syslog: Option<String>,
    /// The audit key file, when there is one.
    pub audit_key_file: Option<String>,
}

/// The headings of the document's sections, in order: the nine application controls and
/// the unit's own duties.
pub const HEADINGS: [&str; 10] = [
    "一、身份鉴别",
    "二、访问控制",
    "三、安全审计",
    "四、入侵防范",
    "五、数据完整性",
    "六、数据保密性",
    "七、数据备份恢复",
    "八、剩余信息保护",
    "九、个人信息保护",
    "十、部署单位须自行落实的事项",
];

fn on_off(b: bool) -> &'static str {
    if b {
        "开启"
    } else {
        "关闭"
    }
}

/// Every sealed field, by table, in words (from the store's list, so it stays true).
fn sealed_fields() -> String {
    let zh = |column: &str| {
        match column {
            "name" => "姓名",
            "id_number" => "身份证号",
            "phone" => "电话",
            "address" => "住址",
            "head_name" => "户主姓名",
            "symptoms" => "症状",
            "note" => "健康情况备注",
            "contact_phone" => "联系电话",
            "place" => "隔离地点",
            "reason" => "来源与原因",
            "release_reason" => "提前解除理由",
            "resume_finding" => "发热门诊结论",
            other => other,
        }
        .to_string()
    };
    dualtrack_store::sealing::ALL
        .iter()
        .map(|t| {
            let columns: Vec<String> = t.columns.iter().map(|c| zh(c)).collect();
            format!("{}（{}）的{}", t.zh, t.table, columns.join("、"))
        })
        .collect::<Vec<_>>()
        .join("，")
}

/// HTTPS on or off, and what the certificate file in force shows.
fn https(d: &Deployment) -> String {
    match (d.tls, &d.certificate) {
        (false, _) => "关闭".into(),
        (true, None) => "开启".into(),
        (true, Some(Ok(facts))) => format!("开启（{facts}）"),
        (true, Some(Err(why))) => format!("开启，但证书不可用：{why}"),
    }
}

fn section(i: usize, how: &str, values: String, check: &str) -> BriefSection {
    BriefSection {
        heading: HEADINGS[i].to_string(),
        paragraphs: vec![
            format!("实现方式：{how}"),
            format!("现行配置：{values}"),
            format!("测评核查：{check}"),
        ],
    }
}

fn second_factor_zh(p: Policy) -> &'static str {
    match p {
        Policy::Privileged => {
            "系统管理员、安全管理员、审计员及可查看明文个人信息的角色必须启用，其他账户可自愿启用"
        }
        Policy::All => "所有账户必须启用",
        Policy::Optional => "所有账户可自愿启用（不强制，不符合三级要求，仅用于演示）",
    }
}

fn identification(app: &App) -> BriefSection {
    let s = &app.security;
    let p = &s.password_policy;
    let max_age = match p.max_age_days {
        0 => "不限".to_string(),
        d => format!("{d} 天"),
    };
    section(
        0,
        "每个账户用户名唯一；口令按策略检查长度、字符种类、常见口令表、不含用户名、不与近期口令重复；\
         管理员设置的口令首次登录须修改；口令以加盐的慢哈希保存；登录失败按用户名与来源地址逐级延迟与暂停；\
         会话闲置与绝对超时；支持验证器动态口令（TOTP）作为第二因素，恢复码只显示一次。",
        format!(
            "口令最短 {} 位、至少 {} 类字符、不得与最近 {} 个口令相同、使用期限 {max_age}、管理员设置后须修改：{}；\
             口令哈希 {}；会话闲置 {} 分钟、绝对 {} 小时超时，单一会话：{}；登录失败 {} 次后暂停该地址，最长 {} 分钟；\
             双因素认证：{}。",
            p.min_length,
            p.min_classes,
            p.history,
            if p.change_when_set_by_admin { "是" } else { "否" },
            s.password_scheme.zh(),
            s.session_idle.num_minutes(),
            s.session_absolute.num_hours(),
            on_off(s.single_session),
            s.lockout_threshold,
            s.lockout_duration.num_minutes(),
            second_factor_zh(s.second_factor),
        ),
        "以弱口令创建账户或修改口令应被拒绝并说明原因；连续输错口令后登录被暂停；闲置超时后须重新登录；\
         特权账户未绑定验证器时登录后只能先绑定；在数据库 users 表中口令字段为哈希串。",
    )
}

fn access_control() -> BriefSection {
    section(
        1,
        "按角色授权，每项操作先核角色权限、再核所辖区划（只见本级及下级）；系统管理员、安全管理员、审计员三员分立，\
         管理员账户与角色只能在服务器本机由命令行变更并审计；明文查看个人信息须具相应角色，每次查看均记审计；接口令牌限定范围与期限，可撤销。",
        "角色与区划范围内授权，三员分立，接口令牌限范围与有效期（内置，不可关闭）。".to_string(),
        "以下级账户访问上级或平级区划的记录应得 403 或 404；安全管理员不能创建审计员；网页 /users 与 /audit 分属不同角色；\
         dualtrack user roles 的变更出现在审计日志中。",
    )
}

fn audit(app: &App, d: &Deployment) -> BriefSection {
    section(
        2,
        "每次登录、失败登录、写入、导出与明文查看都在同一事务中写入审计记录（时间、账户、角色、动作、对象、区划、来源地址、结果）；\
         审计记录以 HMAC-SM3 链式封存，密钥存于数据库之外；到期记录先写入签名归档文件再从库中移除；可转发到单位日志服务器。",
        format!(
            "审计保存 {} 天（不少于 180 天）；审计密钥：{}；归档目录：{}；syslog 转发：{}。",
            app.audit_retention_days,
            match (&app.audit_key, &d.audit_key_file) {
                (Some(_), Some(f)) => format!("已配置（{f}）"),
                (Some(_), None) => "已配置".to_string(),
                (None, _) => "未配置（审计记录不封存）".to_string(),
            },
            d.archive_dir.as_deref().unwrap_or("未设置（不归档）"),
            match &d.syslog {
                Some(t) => format!("开启（{t}）"),
                None => "关闭".to_string(),
            },
        ),
        "dualtrack audit verify 校验链并指出第一条被改动的记录；审计员在 /audit/chain 查看链的状态与归档；\
         dualtrack audit verify-archive 文件 校验归档签名；审计员以外的账户无法读取审计日志。",
    )
}

fn intrusion_prevention(d: &Deployment) -> BriefSection {
    section(
        3,
        "所有输入按类型校验，错误以 4xx 指明字段；参数化 SQL；每个表单带 CSRF 令牌，Cookie 为 HttpOnly、SameSite；\
         内容安全策略禁止内嵌脚本与框架嵌入；上传文件按内容判断类型并限大小；连接数、排队、请求体与请求头时限防止资源耗尽。",
        format!(
            "HTTPS：{}；会话 Cookie Secure：{}；数据库：{}。",
            https(d),
            on_off(d.secure_cookies),
            d.engine
        ),
        "以非法字段值提交应得 400 并指明字段；应答头含 Content-Security-Policy、X-Frame-Options: DENY；\
         无 CSRF 令牌的表单提交被拒绝；超过上限的上传被拒绝。",
    )
}

fn data_integrity(app: &App) -> BriefSection {
    section(
        4,
        "业务写入与其审计记录在同一数据库事务中提交，失败整体回滚；审计记录以 HMAC-SM3 链封存，篡改、删除可被发现；\
         归档文件末行为 HMAC-SM3 签名；传输经 TLS 保护完整性。",
        format!(
            "审计链封存：{}。",
            if app.audit_key.is_some() {
                "开启"
            } else {
                "关闭（未配置审计密钥）"
            }
        ),
        "在数据库中直接修改一条审计记录后运行 dualtrack audit verify，应报告链在该条断开；修改归档文件后 verify-archive 报错。",
    )
}

/// The data-confidentiality section: what protects data in transit and stored secrets, as
/// the configuration says. Encryption of personal fields at rest, when configured, is
/// described here as well.
pub fn confidentiality_section(app: &App, d: &Deployment) -> BriefSection {
    section(
        5,
        "传输：服务器配置证书后自身以 TLS 1.2/1.3 提供服务，国密 TLCP 由部署单位在前端部署国密网关；\
         存储：旅客、隔离监测对象、登记人员与摸排人员的身份证号、电话、姓名，隔离地点与来源，住户住址，随访健康情况，\
         企业联系电话以 SM4-GCM 加密存储（提醒与由随访发起的工单不复制姓名与健康情况）（每个值随机 nonce，\
         带密钥标识），按身份证号查找经 HMAC-SM3 盲索引，数据密钥存于数据库之外，dualtrack keys rotate 在线轮换；\
         口令只保存加盐慢哈希（argon2id 或 PBKDF2-HMAC-SM3），会话令牌只保存其 SHA-256；审计密钥存于数据库之外；\
         配置中的数据库口令不打印、不写入日志。",
        format!(
            "HTTPS：{}；个人信息加密：{}；加密字段：{}；口令哈希：{}；审计密钥：{}。",
            https(d),
            match app.crypto.current_key() {
                Some(k) => format!("已启用（SM4-GCM，当前密钥 {k}）"),
                None => "未启用（未配置数据密钥，个人信息以明文存储）".to_string(),
            },
            sealed_fields(),
            app.security.password_scheme.zh(),
            if app.audit_key.is_some() {
                "已配置（HMAC-SM3）"
            } else {
                "未配置"
            }
        ),
        "以浏览器或 openssl s_client 连接服务端口查看证书与协议；dualtrack keys status 列出各密钥下的行数，\
         直接查询 passage_travellers、monitoring_cases、people 表的身份证号字段应为 enc: 开头的密文；查看数据库 users 表口令字段为 $argon2id$ 或 $pbkdf2-sm3$ 开头的哈希串；\
         dualtrack default-config 说明各项设置。",
    )
}

fn backup_recovery(d: &Deployment) -> BriefSection {
    section(
        6,
        "dualtrack backup --to 文件 在线生成一致备份（SQLite），dualtrack restore --from 文件 校验后整体恢复；\
         PostgreSQL 以 pg_dump / pg_restore 备份恢复；附件存于数据库，随库备份；多个实例可共用 PostgreSQL 实现热备。",
        format!(
            "数据库：{}；备份命令：dualtrack backup --to 备份文件；恢复命令：dualtrack restore --from 备份文件。",
            d.engine
        ),
        "执行一次备份并在另一台机器恢复，登录核对数据；查看部署单位的备份计划与异地存放记录。",
    )
}

fn residual_information() -> BriefSection {
    section(
        7,
        "会话结束、超时或口令修改时删除会话记录；页面与接口应答带 Cache-Control: no-store，不在浏览器缓存中留存数据；\
         到期的个人信息被删除而非隐藏；审计记录只在写入签名归档后才从库中移除。",
        "会话闲置与绝对超时见身份鉴别；应答一律不缓存（内嵌静态文件除外）。".to_string(),
        "退出登录后以原会话令牌访问应得 401；查看应答头 Cache-Control: no-store。",
    )
}

fn personal_information(app: &App) -> BriefSection {
    section(
        8,
        "身份证号、电话等个人信息默认遮盖显示，明文查看须具相应角色且每次记审计；只收集防控所需的字段；\
         隔离或监测解除后到期自动删除姓名、身份证号（连同按号查找的索引）、电话、隔离地点与来源，从未成为对象的旅客与网格摸排人员在监测期加保存期届满后同样删除；导出受角色与区划范围限制并记审计。",
        format!(
            "解除后个人信息保存 {} 天，到期每小时自动删除（dualtrack retention 可立即执行）。",
            app.retention_days
        ),
        "以无明文权限的账户查看人员列表，身份证号与电话应为遮盖形式；查看审计日志中的明文查看记录；\
         运行 dualtrack retention 后到期记录的个人信息字段为空。",
    )
}

fn unit_duties() -> BriefSection {
    BriefSection {
        heading: HEADINGS[9].to_string(),
        paragraphs: [
            "网络：划分安全区域，服务器只对业务网段开放服务端口，边界部署防火墙与入侵检测，数据库端口不对外开放。",
            "国密传输：部署经认证的国密 SSL 网关（TLCP，SM2 双证书），向具备资质的电子认证服务机构申请证书，网关至本服务走内网或 HTTPS。",
            "主机加固：操作系统及时打补丁，最小安装，关闭无关服务，以专用低权限账户运行本服务，主机登录启用双因素与日志审计。",
            "物理与环境：机房门禁、监控、防雷、防火、温湿度控制与不间断电源。",
            "密钥保管：审计密钥文件、TLS 私钥、数据库口令由安全管理员保管，权限仅限属主读取，与数据库分开备份，人员变动时更换。",
            "备份：制定备份计划，每日备份并异地存放，定期演练恢复；审计归档文件长期保存并异地备份。",
            "日志集中：将审计记录转发到单位日志服务器（syslog），由审计员定期审阅。",
            "人员与制度：三员由不同人员担任，账户随人员变动及时开通、停用；制定安全管理制度与应急预案，定期开展等级测评与密码应用安全性评估。",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect(),
    }
}

impl App {
    /// The sections of the compliance document, from the settings in force.
    pub fn compliance_sections(&self, d: &Deployment) -> Vec<BriefSection> {
        vec![
            identification(self),
            access_control(),
            audit(self, d),
            intrusion_prevention(d),
            data_integrity(self),
            confidentiality_section(self, d),
            backup_recovery(d),
            residual_information(),
            personal_information(self),
            unit_duties(),
        ]
    }

    /// The compliance document as a Word file laid out as an official document.
    pub fn compliance_docx(&self, d: &Deployment, date: &str) -> ServiceResult<Vec<u8>> {
        official_docx(
            "双线指挥平台等级保护（三级）应用安全说明",
            &format!("依据 GB/T 22239-2019 应用和数据安全要求 · 按 {date} 的运行配置生成"),
            &self.compliance_sections(d),
        )
    }
}
