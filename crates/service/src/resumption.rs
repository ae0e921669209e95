//! Resumption of work and production: the enterprise registry, exclusions from the count,
//! daily operating reports, and the rates — 开复工率, 复岗率, 产能恢复率 — each with its
//! numerator, denominator and the exclusions applied.

use crate::actor::commit_audited;
use crate::crypto::FieldCrypto;
use crate::idempotency::{keep, Claim, Written};
use crate::input::parse_date;
pub(crate) use crate::report_checks::report_view;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::resident_id::{mask_phone, validate_phone};
use dualtrack_domain::resumption::{
    validate_division, CreditCode, ExclusionReason, IndustrySection, OperatingStatus,
};
use dualtrack_domain::role::Permission;
use dualtrack_store::decode;
use dualtrack_store::resumption::{self as store, EnterpriseRow, NewEnterprise, NewReport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    /// 校验位不符时的提示（早期代码可能如此，照常登记）
    pub credit_warning: Option<String>,
    pub jurisdiction_code: String,
    pub industry_section: IndustrySection,
    pub industry_name: String,
    pub industry_division: Option<String>,
    /// 规模以上工业企业
    pub above_size: bool,
    pub key_enterprise: bool,
    pub normal_headcount: i64,
    pub normal_output: i64,
    pub output_unit: String,
    pub contact_name: Option<String>,
    /// 联系电话（脱敏）
    pub contact_phone: Option<String>,
}

fn enterprise_view(c: &FieldCrypto, e: EnterpriseRow) -> ServiceResult<EnterpriseView> {
    let section = decode(
        "enterprises",
        "industry_section",
        &e.industry_section,
        IndustrySection::parse,
    )?;
    Ok(EnterpriseView {
        id: e.id,
        name: e.name,
        credit_warning: e
            .credit_check_failed
            .then(|| "统一社会信用代码校验位不符，请核对（早期代码可能如此）".to_string()),
        credit_code: e.credit_code,
        jurisdiction_code: e.jurisdiction_code,
        industry_name: section.zh().into(),
        industry_section: section,
        industry_division: e.industry_division,
        above_size: e.above_size,
        key_enterprise: e.key_enterprise,
        normal_headcount: e.normal_headcount,
        normal_output: e.normal_output,
        output_unit: e.output_unit,
        contact_name: e.contact_name,
        contact_phone: c.open_text_opt(&e.contact_phone)?.map(|p| mask_phone(&p)),
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnterpriseInput {
    pub name: String,
    pub credit_code: String,
    /// 所在区划（县或乡镇）代码
    pub jurisdiction_code: String,
    /// 行业门类 A–T
    pub industry_section: String,
    /// 行业大类（两位数字）
    #[serde(default)]
    pub industry_division: Option<String>,
    pub above_size: bool,
    #[serde(default)]
    pub key_enterprise: bool,
    pub normal_headcount: i64,
    /// 正常产量或用电量（基数）
    pub normal_output: i64,
    /// 如 吨/日、万千瓦时/日
    pub output_unit: String,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExclusionInput {
    /// seasonal、long_term、rectification
    pub reason: String,
    pub from_on: String,
    #[serde(default)]
    pub until_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ReportInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 报告日（截至当日 24 时）
    pub report_date: String,
    /// not_resumed、resumed、partly、shut_down
    pub status: String,
    pub on_duty: i64,
    #[serde(default)]
    pub back_from_outside: i64,
    #[serde(default)]
    pub in_quarantine: i64,
    #[serde(default)]
    pub abnormal_temps: i64,
    #[serde(default)]
    pub mask_days: i64,
    #[serde(default)]
    pub disinfectant_days: i64,
    /// 五个到位中已到位的项数（0–5）
    #[serde(default)]
    pub checks_passed: i64,
    #[serde(default)]
    pub output: i64,
    #[serde(default)]
    pub problems: String,
    /// 确认无误、仍然报送：数字看似异常（人数多于正常用工、较上次报告超过 3 倍或降为 0、产能利用率超过 100%）时，不确认则不予报送（422，逐项说明），确认后报送并标记
    #[serde(default)]
    pub confirm_implausible: bool,
    /// 手机上填报的时间（RFC 3339，离线填报由手机发件箱带上）：不得晚于现在，也不得早于
    /// 72 小时前（可配置）；服务器另记收到的时间
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportView {
    /// 日报编号（由日报反映的问题吹哨时作为来源）
    pub id: i64,
    pub report_date: NaiveDate,
    /// 版本号：更正后递增，旧版本保留
    pub version: i64,
    pub is_current: bool,
    pub status: OperatingStatus,
    pub status_name: String,
    pub on_duty: i64,
    pub back_from_outside: i64,
    pub in_quarantine: i64,
    pub abnormal_temps: i64,
    pub mask_days: i64,
    pub disinfectant_days: i64,
    pub checks_passed: i64,
    pub output: i64,
    pub problems: String,
    pub filed_by: String,
    /// 数字看似异常，经填报人确认后报送
    pub confirmed_implausible: bool,
}

/// A rate with what it is made of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// 百分比，保留一位小数；分母为 0 时为空
    pub percent: Option<f64>,
}

pub(crate) fn rate(numerator: i64, denominator: i64) -> Rate {
    let percent =
        (denominator > 0).then(|| (numerator as f64 * 1000.0 / denominator as f64).round() / 10.0);
    Rate {
        numerator,
        denominator,
        percent,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceRates {
    /// 县级区划代码；合计行为所查范围的代码
    pub code: String,
    /// 规上工业企业登记数
    pub registered: i64,
    /// 当日不计入的企业数（季节性停产等）
    pub excluded: i64,
    /// 开复工率：已复工（含部分复工）÷ 计入企业数
    pub resumption: Rate,
    /// 复岗率：在岗人数 ÷ 正常用工
    pub return_to_work: Rate,
    /// 产能恢复率：产量（用电量）÷ 正常基数
    pub capacity: Rate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatesView {
    pub as_of: NaiveDate,
    /// 所查地区代码（默认为本人辖区）
    pub place: String,
    /// 所查行业门类；为空时为全部行业
    pub industry: Option<IndustrySection>,
    pub total: PlaceRates,
    /// 各县并列
    pub counties: Vec<PlaceRates>,
    /// 各乡镇（街道）并列；县直企业记在县级代码下
    pub townships: Vec<PlaceRates>,
    /// 各行业门类并列（code 为门类字母）
    pub industries: Vec<PlaceRates>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// 截至日期（含当日），如 2020-02-27
    pub as_of: String,
    /// 地区代码（本人辖区之内），默认本人辖区
    #[serde(default)]
    pub place: Option<String>,
    /// 行业门类 A–T，默认全部
    #[serde(default)]
    pub industry: Option<String>,
}

/// One day's rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayRates {
    pub day: NaiveDate,
    pub registered: i64,
    pub excluded: i64,
    pub resumption: Rate,
    pub return_to_work: Rate,
    pub capacity: Rate,
}

/// A place's (or the whole query's) daily series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceSeries {
    /// 县级区划代码；合计为所查地区代码
    pub code: String,
    pub days: Vec<DayRates>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub place: String,
    pub industry: Option<IndustrySection>,
    /// 有日报以来的日期（统计日历）内的逐日合计
    pub total: PlaceSeries,
    /// 各县逐日并列（by=county 时）
    pub counties: Vec<PlaceSeries>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// 起始日期，如 2020-02-01
    pub from: String,
    /// 截止日期（含），至多 400 天
    pub to: String,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    /// county：各县并列；默认只给合计
    #[serde(default)]
    pub by: Option<String>,
}

fn counts_rates(code: String, r: &[&store::RateRow]) -> PlaceRates {
    let sum = |f: fn(&store::RateCounts) -> i64| r.iter().map(|x| f(&x.counts)).sum::<i64>();
    let registered = sum(|x| x.registered);
    let excluded = sum(|x| x.excluded);
    PlaceRates {
        code,
        registered,
        excluded,
        resumption: rate(sum(|x| x.resumed), registered - excluded),
        return_to_work: rate(sum(|x| x.on_duty), sum(|x| x.headcount)),
        capacity: rate(sum(|x| x.output), sum(|x| x.baseline)),
    }
}

fn day_rates(row: &store::SeriesRow) -> DayRates {
    let r = &row.counts;
    DayRates {
        day: row.day,
        registered: r.registered,
        excluded: r.excluded,
        resumption: rate(r.resumed, r.registered - r.excluded),
        return_to_work: rate(r.on_duty, r.headcount),
        capacity: rate(r.output, r.baseline),
    }
}

fn count(field: &'static str, label: &str, v: i64) -> ServiceResult<i64> {
    if !(0..=10_000_000).contains(&v) {
        return Err(ServiceError::invalid(
            field,
            format!("{label}应为 0 到 10000000 之间的整数，收到 {v}"),
        ));
    }
    Ok(v)
}

impl App {
    /// An enterprise whose reports the actor may read: the permission to read them, then the
    /// enterprise in the actor's scope.
    pub(crate) async fn reports_readable(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<EnterpriseRow> {
        self.require(
            actor,
            Permission::ReadResumption,
            "企业日报",
            &id.to_string(),
        )
        .await?;
        self.enterprise_in_scope(actor, id).await
    }

    pub(crate) async fn enterprise_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<EnterpriseRow> {
        let row = store::enterprise(&self.db, id).await?;
        self.own(actor, "企业", id, row, |e| &e.jurisdiction_code)
            .await
    }

    pub async fn create_enterprise(
        &self,
        actor: &Actor,
        input: &EnterpriseInput,
    ) -> ServiceResult<EnterpriseView> {
        self.require(actor, Permission::ManageEnterprises, "企业", &input.name)
            .await?;
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid(
                "name",
                "请填写企业名称（不超过 100 字）",
            ));
        }
        let credit = CreditCode::parse(&input.credit_code)
            .map_err(|m| ServiceError::invalid("credit_code", m))?;
        let section = IndustrySection::parse(&input.industry_section).ok_or_else(|| {
            ServiceError::invalid(
                "industry_section",
                format!("行业门类“{}”无效，应为 A–T", input.industry_section),
            )
        })?;
        let division = match input
            .industry_division
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(
                validate_division(d).map_err(|m| ServiceError::invalid("industry_division", m))?,
            ),
            None => None,
        };
        let headcount = count("normal_headcount", "正常用工人数", input.normal_headcount)?;
        let output = count("normal_output", "正常产量", input.normal_output)?;
        let unit = input.output_unit.trim().to_string();
        if unit.is_empty() || unit.chars().count() > 20 {
            return Err(ServiceError::invalid(
                "output_unit",
                "请填写产量单位，如 吨/日",
            ));
        }
        let phone = match input
            .contact_phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(p) => {
                Some(validate_phone(p).map_err(|m| ServiceError::invalid("contact_phone", m))?)
            }
            None => None,
        };
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let sealer = self.crypto.sealer();
        let mut tx = self.db.begin().await?;
        let row = NewEnterprise {
            name: name.clone(),
            credit_code: credit.code.clone(),
            credit_check_failed: credit.check_failed,
            jurisdiction_code: code.to_string(),
            industry_section: section.as_str().into(),
            industry_division: division,
            above_size: input.above_size,
            key_enterprise: input.key_enterprise,
            normal_headcount: headcount,
            normal_output: output,
            output_unit: unit,
            contact_name: input
                .contact_name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            contact_phone: sealer.seal_text_opt(phone.as_deref()),
            enc_key: sealer.key_id(),
        };
        let id = store::insert_enterprise(&mut tx, &row, self.clock.now())
            .await
            .map_err(|err| {
                ServiceError::taken(err, "credit_code", || {
                    format!("统一社会信用代码 {} 已登记", credit.code)
                })
            })?;
        let audit = actor.audit(
            Action::EnterpriseCreate,
            Outcome::Success,
            "企业",
            id.to_string(),
            Some(code.to_string()),
            name,
        );
        commit_audited(tx, &audit).await?;
        self.get_enterprise(actor, id).await
    }

    pub async fn get_enterprise(&self, actor: &Actor, id: i64) -> ServiceResult<EnterpriseView> {
        self.require(actor, Permission::ReadResumption, "企业", &id.to_string())
            .await?;
        enterprise_view(&self.crypto, self.enterprise_in_scope(actor, id).await?)
    }

    pub async fn list_enterprises(
        &self,
        actor: &Actor,
        page: Option<i64>,
    ) -> ServiceResult<Vec<EnterpriseView>> {
        self.require(actor, Permission::ReadResumption, "企业", "list")
            .await?;
        let page = page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let offset = crate::page_offset(page, 100);
        let rows = store::list_enterprises(&self.db, &actor.scope, None, 100, offset).await?;
        let view = |e| enterprise_view(&self.crypto, e);
        rows.into_iter().map(view).collect()
    }

    /// Leaves an enterprise out of the resumption count for a time, with a reason; audited.
    pub async fn exclude_enterprise(
        &self,
        actor: &Actor,
        id: i64,
        input: &ExclusionInput,
    ) -> ServiceResult<EnterpriseView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "企业",
            &id.to_string(),
        )
        .await?;
        let e = self.enterprise_in_scope(actor, id).await?;
        let reason = ExclusionReason::parse(&input.reason).ok_or_else(|| {
            ServiceError::invalid("reason", format!("不计入原因“{}”无效", input.reason))
        })?;
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = match input
            .until_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(u) => Some(parse_date("until_on", u)?),
            None => None,
        };
        if matches!(until_on, Some(u) if u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "截止日期不能早于起始日期",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::insert_exclusion(
            &mut tx,
            id,
            reason.as_str(),
            from_on,
            until_on,
            input.note.trim(),
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let detail = format!("{}：{}，自 {from_on}", e.name, reason.zh());
        let audit = actor.audit(
            Action::EnterpriseExclude,
            Outcome::Success,
            "企业",
            id.to_string(),
            Some(e.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        enterprise_view(&self.crypto, e)
    }

    /// Files (or corrects) a day's operating report; the earlier version is kept. A retry
    /// with the same idempotency key and report answers with the version filed the first time
    /// and files nothing.
    pub async fn file_report(
        &self,
        actor: &Actor,
        id: i64,
        input: &ReportInput,
    ) -> ServiceResult<Written<ReportView>> {
        self.require(actor, Permission::FileReports, "企业日报", &id.to_string())
            .await?;
        let e = self.enterprise_in_scope(actor, id).await?;
        self.once(
            actor,
            "enterprise_report",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_report(actor, &e, input, claim),
            |rid| self.report_of(actor, id, rid),
        )
        .await
    }

    /// The report `rid` of the enterprise `id`.
    /// (Found by its id, not among the latest versions: a retry may come long after.)
    async fn report_of(&self, actor: &Actor, id: i64, rid: i64) -> ServiceResult<ReportView> {
        self.reports_readable(actor, id).await?;
        store::report(&self.db, id, rid)
            .await?
            .ok_or_else(|| ServiceError::Internal("日报未找到".into()))
            .and_then(report_view)
    }

    async fn write_report(
        &self,
        actor: &Actor,
        e: &EnterpriseRow,
        input: &ReportInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ReportView> {
        let id = e.id;
        let made_at = crate::input::phone_time(
            "made_at",
            "填报时间",
            input.made_at.as_deref(),
            self.now(),
            self.phone_time_max_hours,
        )?;
        let report_date = parse_date("report_date", &input.report_date)?;
        let today = self.today();
        if report_date > today {
            return Err(ServiceError::invalid(
                "report_date",
                format!("报告日 {report_date} 尚未结束，不能填报（今天是 {today}）"),
            ));
        }
        if report_date < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(report_date) {
            return Err(ServiceError::invalid(
                "report_date",
                "报告日不能早于 2000-01-01",
            ));
        }
        let status = OperatingStatus::parse(&input.status).ok_or_else(|| {
            ServiceError::invalid("status", format!("经营状态“{}”无效", input.status))
        })?;
        if !(0..=5).contains(&input.checks_passed) {
            return Err(ServiceError::invalid(
                "checks_passed",
                "五个到位的已到位项数应为 0 到 5",
            ));
        }
        let r = NewReport {
            enterprise_id: id,
            report_date,
            status: status.as_str().into(),
            on_duty: count("on_duty", "在岗人数", input.on_duty)?,
            back_from_outside: count("back_from_outside", "外地返岗人数", input.back_from_outside)?,
            in_quarantine: count("in_quarantine", "隔离人数", input.in_quarantine)?,
            abnormal_temps: count("abnormal_temps", "体温异常人数", input.abnormal_temps)?,
            mask_days: count("mask_days", "口罩可用天数", input.mask_days)?,
            disinfectant_days: count(
                "disinfectant_days",
                "消毒液可用天数",
                input.disinfectant_days,
            )?,
            checks_passed: input.checks_passed,
            output: count("output", "产量", input.output)?,
            problems: input.problems.trim().chars().take(1000).collect(),
            filed_by: actor.username.clone(),
        };
        let last = store::last_report(&self.db, id, Some(report_date), self.now()).await?;
        let confirmed = crate::report_checks::confirmed(e, last.as_ref(), &r, status, input)?;
        let mut tx = self.db.begin().await?;
        let filing = store::Filing {
            report: &r,
            confirmed_implausible: confirmed,
            filed_at: self.now(),
            made_at,
        };
        let filed = store::file_report(&mut tx, &filing).await?;
        keep(&mut tx, claim.as_ref(), filed.id).await?;
        let version = filed.version;
        let detail = format!(
            "{}：{report_date} {}（第 {version} 版）{}",
            e.name,
            status.zh(),
            if confirmed {
                "，异常数字经确认"
            } else {
                ""
            }
        );
        let audit = actor.audit(
            Action::ReportFile,
            Outcome::Success,
            "企业日报",
            id.to_string(),
            Some(e.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        self.report_of(actor, id, filed.id).await
    }

    /// Every version of an enterprise's reports, newest first.
    pub async fn enterprise_reports(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<Vec<ReportView>> {
        self.reports_readable(actor, id).await?;
        store::reports(&self.db, id, self.now())
            .await?
            .into_iter()
            .map(report_view)
            .collect()
    }

    /// The filter a rates or series query asks for: a place within the actor's scope (their
    /// own by default) and optionally one industry section.
    async fn rate_filter(
        &self,
        actor: &Actor,
        place: Option<&str>,
        industry: Option<&str>,
    ) -> ServiceResult<(String, Option<IndustrySection>, store::Filter)> {
        let industry = match industry.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(IndustrySection::parse(raw).ok_or_else(|| {
                ServiceError::invalid("industry", format!("行业门类“{raw}”无效，应为 A–T"))
            })?),
            None => None,
        };
        let section = industry.map(|s| s.as_str());
        match place.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => {
                let code = self.place_in_scope(actor, "place", raw).await?;
                let filter = store::Filter::new(&Scope::Under(code.clone()), section);
                Ok((code.to_string(), industry, filter))
            }
            None => Ok((
                actor.home_code().unwrap_or_default(),
                industry,
                store::Filter::new(&actor.scope, section),
            )),
        }
    }

    /// The rates as of the end of a day in the actor's scope, counties side by side.
    pub async fn resumption_rates(
        &self,
        actor: &Actor,
        raw_as_of: &str,
    ) -> ServiceResult<RatesView> {
        self.resumption_rates_for(
            actor,
            &RatesQuery {
                as_of: raw_as_of.to_string(),
                ..RatesQuery::default()
            },
        )
        .await
    }

    /// The rates as of the end of a day for a place and industry: the total, and counties,
    /// townships and industry sections side by side.
    pub async fn resumption_rates_for(
        &self,
        actor: &Actor,
        q: &RatesQuery,
    ) -> ServiceResult<RatesView> {
        self.require(actor, Permission::ReadResumption, "复工复产", "rates")
            .await?;
        let as_of = parse_date("as_of", &q.as_of)?;
        let (place, industry, filter) = self
            .rate_filter(actor, q.place.as_deref(), q.industry.as_deref())
            .await?;
        let by = |g| store::rates(&self.db, &filter, g, as_of);
        let counties = by(store::Grouping::County).await?;
        let townships = by(store::Grouping::Township).await?;
        let industries = by(store::Grouping::Section).await?;
        let each = |rows: &[store::RateRow]| -> Vec<PlaceRates> {
            rows.iter()
                .map(|r| counts_rates(r.key.clone(), &[r]))
                .collect()
        };
        let all: Vec<&store::RateRow> = counties.iter().collect();
        Ok(RatesView {
            as_of,
            total: counts_rates(place.clone(), &all),
            place,
            industry,
            counties: each(&counties),
            townships: each(&townships),
            industries: each(&industries),
        })
    }

    /// The rates day by day over a period (at most 400 days) for a place and industry, with
    /// counties side by side when asked.
    pub async fn resumption_series(
        &self,
        actor: &Actor,
        q: &SeriesQuery,
    ) -> ServiceResult<SeriesView> {
        self.require(actor, Permission::ReadResumption, "复工复产", "series")
            .await?;
        let from = parse_date("from", &q.from)?;
        let to = parse_date("to", &q.to)?;
        if to < from {
            return Err(ServiceError::invalid("to", "截止日期不能早于起始日期"));
        }
        if (to - from).num_days() > 400 {
            return Err(ServiceError::invalid("to", "一次最多查询 400 天"));
        }
        let by_county = match q.by.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("total") => false,
            Some("county") => true,
            Some(other) => {
                return Err(ServiceError::invalid(
                    "by",
                    format!("分组方式“{other}”无效，应为 county 或留空"),
                ))
            }
        };
        let (place, industry, filter) = self
            .rate_filter(actor, q.place.as_deref(), q.industry.as_deref())
            .await?;
        let total = store::series(&self.db, &filter, None, from, to).await?;
        let mut counties: Vec<PlaceSeries> = Vec::new();
        if by_county {
            for row in
                store::series(&self.db, &filter, Some(store::Grouping::County), from, to).await?
            {
                match counties.iter_mut().find(|c| c.code == row.key) {
                    Some(c) => c.days.push(day_rates(&row)),
                    None => counties.push(PlaceSeries {
                        code: row.key.clone(),
                        days: vec![day_rates(&row)],
                    }),
                }
            }
            counties.sort_by(|a, b| a.code.cmp(&b.code));
        }
        Ok(SeriesView {
            from,
            to,
            total: PlaceSeries {
                code: place.clone(),
                days: total.iter().map(day_rates).collect(),
            },
            place,
            industry,
            counties,
        })
    }
}
