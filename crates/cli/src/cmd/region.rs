use crate::cmd::open;
use crate::config::Settings;
use clap::Subcommand;
use dualtrack_service::Actor;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Subcommand)]
pub enum RegionCommand {
    /// 从内置的国家统计用区划代码导入某地区（含上级与全部下级），重复导入不改变已有数据
    Import {
        /// 区划代码前缀：省 63、州 6328、县 632801……
        code: Option<String>,
        /// 导入全国
        #[arg(long, conflicts_with = "code")]
        all: bool,
    },
    /// 显示一个节点：路径、各级数量、下级
    Show { code: String },
    /// 按名称或代码查找
    Search { q: String },
}

pub async fn run(settings: &Settings, c: RegionCommand) -> anyhow::Result<()> {
    let app = open(settings).await?;
    let actor = Actor::cli();
    match c {
        RegionCommand::Import { code, all } => {
            if code.is_none() && !all {
                anyhow::bail!("请给出区划代码（如 6328），或用 --all 导入全国");
            }
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message("导入区划");
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let r = app
                .import_region(&actor, code.as_deref(), &progress)
                .await?;
            bar.finish_and_clear();
            let scope = if r.prefix.is_empty() {
                "全国".to_string()
            } else {
                r.prefix.clone()
            };
            println!(
                "导入 {scope}：共 {} 个单位，新增 {}，已存在 {}",
                r.total, r.inserted, r.unchanged
            );
            for c in r.counts {
                println!("  {}：{}", c.level_name, c.count);
            }
        }
        RegionCommand::Show { code } => {
            let v = app.node(&actor, &code).await?;
            let path: Vec<String> = v.path.iter().map(|n| n.name.clone()).collect();
            println!("{}（{}，{}）", v.node.name, v.node.code, v.node.level_name);
            println!("路径：{}", path.join(" › "));
            for c in &v.counts {
                println!("  下辖{}：{}", c.level_name, c.count);
            }
            for c in &v.children {
                println!("  {} {}", c.code, c.name);
            }
        }
        RegionCommand::Search { q } => {
            for n in app.search_tree(&actor, &q).await? {
                println!("{} {}（{}）", n.code, n.name, n.level_name);
            }
        }
    }
    app.db.close().await;
    Ok(())
}
