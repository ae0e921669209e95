use crate::cmd::open;
use crate::config::Settings;
use clap::Subcommand;
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_service::users::NewUserInput;
use dualtrack_service::Actor;
use std::io::{BufRead, IsTerminal};

/// Accounts on the server's command line: the only way to create or change the accounts of
/// the three administrators (系统管理员、安全管理员、审计员); each change is audited.
#[derive(Subcommand)]
pub enum UserCommand {
    /// 新建账户（三员账户只能在此新建）。密码取自环境变量 DUALTRACK_PASSWORD，或从标准输入读一行
    Add {
        #[arg(long)]
        username: String,
        /// 角色，可多次给出：sys_admin、sec_admin、auditor（三员，各自独占一个账户）；leader、operator、grid_worker、enterprise_liaison、dept_responder、org_dept、checkpoint_worker
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// 所属区划代码
        #[arg(long)]
        jurisdiction: String,
        /// 姓名
        #[arg(long, default_value = "")]
        name: String,
    },
    /// 列出账户
    List {
        /// 只列出该区划及其下级的账户
        #[arg(long)]
        jurisdiction: Option<String>,
    },
    /// 变更账户的角色（整组替换；三员角色只能在此授予或收回）
    Roles {
        username: String,
        /// 新的角色，可多次给出
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// 重置密码（新密码取自 DUALTRACK_PASSWORD 或标准输入）
    Passwd { username: String },
    /// 锁定账户并结束其会话
    Lock { username: String },
    /// 解锁账户
    Unlock { username: String },
    /// 重置账户的双因素认证（手机丢失时），并结束其会话
    ResetSecondFactor { username: String },
    /// 列出账户的接口令牌（未撤销的；不含令牌本身）
    Tokens { username: String },
    /// 撤销账户的一个接口令牌
    RevokeToken {
        username: String,
        /// 令牌编号（见 user tokens）
        id: i64,
    },
}

/// The password from `DUALTRACK_PASSWORD`, or one line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("DUALTRACK_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("密码：");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        anyhow::bail!("没有读到密码：请设置 DUALTRACK_PASSWORD，或从标准输入给出一行");
    }
    Ok(p)
}

pub async fn run(settings: &Settings, c: UserCommand) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let actor = Actor::cli();
    match c {
        UserCommand::Add {
            username,
            roles,
            jurisdiction,
            name,
        } => {
            let password = read_password()?;
            let u = app
                .create_user(
                    &actor,
                    &NewUserInput {
                        username,
                        display_name: name,
                        password,
                        jurisdiction_code: jurisdiction,
                        roles,
                    },
                )
                .await?;
            println!(
                "已新建账户 {}（编号 {}，{}，{}）",
                u.username,
                u.id,
                u.jurisdiction_code,
                u.role_names.join("、")
            );
        }
        UserCommand::List { jurisdiction } => {
            let mut actor = actor;
            if let Some(j) = jurisdiction {
                actor.scope = Scope::Under(
                    Code::parse(&j).map_err(|e| anyhow::anyhow!("--jurisdiction：{e}"))?,
                );
            }
            let users = app.list_users(&actor, None, 500, 0).await?;
            for u in &users {
                let state = if u.disabled {
                    "已锁定"
                } else if u.locked_until.is_some() {
                    "登录失败锁定"
                } else {
                    "正常"
                };
                println!(
                    "{:<4} {:<20} {:<16} {:<16} {} {}",
                    u.id,
                    u.username,
                    u.display_name,
                    u.jurisdiction_code,
                    u.role_names.join("、"),
                    state
                );
            }
            println!("共 {} 个账户", users.len());
        }
        UserCommand::Roles { username, roles } => {
            let id = app.user_id_by_name(&username).await?;
            let u = app.set_user_roles(&actor, id, &roles).await?;
            println!("{username} 的角色已改为：{}", u.role_names.join("、"));
        }
        UserCommand::Passwd { username } => {
            let id = app.user_id_by_name(&username).await?;
            let password = read_password()?;
            app.set_password(&actor, id, None, &password).await?;
            println!("已重置 {username} 的密码，其会话已结束");
        }
        UserCommand::Lock { username } => {
            let id = app.user_id_by_name(&username).await?;
            app.set_user_locked(&actor, id, true).await?;
            println!("已锁定 {username}");
        }
        UserCommand::Unlock { username } => {
            let id = app.user_id_by_name(&username).await?;
            app.set_user_locked(&actor, id, false).await?;
            println!("已解锁 {username}");
        }
        UserCommand::ResetSecondFactor { username } => {
            let id = app.user_id_by_name(&username).await?;
            app.reset_second_factor(&actor, id).await?;
            println!("已重置 {username} 的双因素认证，其会话已结束");
        }
        UserCommand::Tokens { username } => {
            let id = app.user_id_by_name(&username).await?;
            let tokens = app.user_tokens(&actor, id).await?;
            let shown = |t: chrono::DateTime<chrono::Utc>| dualtrack_domain::time::display(t);
            for t in &tokens {
                println!(
                    "{:<4} {:<20} {:<12} {} {} 到期 {}{} 最近使用 {}",
                    t.id,
                    t.name,
                    format!("{}…", t.prefix),
                    t.scope_name,
                    t.place,
                    shown(t.expires_at),
                    if t.expired { "（已过期）" } else { "" },
                    t.last_used_at.map(shown).unwrap_or_else(|| "从未".into())
                );
            }
            println!("{username} 共 {} 个接口令牌", tokens.len());
        }
        UserCommand::RevokeToken { username, id } => {
            let uid = app.user_id_by_name(&username).await?;
            app.revoke_user_token(&actor, uid, id).await?;
            println!("已撤销 {username} 的接口令牌 {id}");
        }
    }
    app.db.close().await;
    Ok(())
}
