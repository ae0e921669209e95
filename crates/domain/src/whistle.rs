//! Whistle and report-back (吹哨报到): what a grid, a village, a township, an enterprise or a
//! work group cannot solve alone it raises as a ticket; the departments it calls must report
//! (accept) within a deadline set by the ticket's kind, work, and resolve; the whistler
//! confirms or rejects and rates. A ticket not accepted or not resolved in time climbs the
//! tree on its own: grid → village → township → county → prefecture.

use crate::jurisdiction::{Code, Level};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// How urgent a ticket is; the kind sets the deadlines.
    TicketKind {
        Routine => "routine", "常规";
        Tough => "tough", "疑难";
        Emergency => "emergency", "紧急";
    }
);

named_enum!(
    /// What a ticket is about.
    TicketCategory {
        Residents => "residents", "群众诉求";
        Enforcement => "enforcement", "联合执法";
        Emergency => "emergency", "突发事件";
        Epidemic => "epidemic", "疫情防控";
        Labour => "labour", "用工";
        Materials => "materials", "原材料";
        Logistics => "logistics", "物流运输";
        Funds => "funds", "资金";
        Orders => "orders", "订单";
        Supplies => "supplies", "防疫物资";
        Other => "other", "其他";
    }
);

named_enum!(
    /// Who blew the whistle.
    RaiserKind {
        Grid => "grid", "网格";
        Village => "village", "村（社区）";
        Township => "township", "乡镇（街道）";
        County => "county", "县（市）";
        Enterprise => "enterprise", "企业";
        WorkGroup => "work_group", "驻企工作组";
    }
);

named_enum!(
    /// The record a ticket was raised from, linked back to it.
    SourceKind {
        GridReport => "grid_report", "网格日报";
        Followup => "followup", "隔离监测随访";
        EnterpriseReport => "enterprise_report", "企业日报";
        ProductionProblem => "production_problem", "生产难题";
    }
);

named_enum!(
    /// Where a ticket stands as a whole.
    TicketStatus {
        Open => "open", "待报到";
        Working => "working", "处置中";
        Resolved => "resolved", "待确认";
        Closed => "closed", "已办结";
    }
);

named_enum!(
    /// Where one called department stands on a ticket.
    CallStatus {
        Called => "called", "待报到";
        Accepted => "accepted", "已报到";
        Resolved => "resolved", "已办结";
    }
);

named_enum!(
    /// Why a ticket climbed a level.
    EscalationReason {
        NotAccepted => "not_accepted", "超时未报到";
        NotResolved => "not_resolved", "超时未办结";
    }
);

named_enum!(
    /// What happened to a ticket: its timeline, and the notices it sends.
    TicketEvent {
        Raised => "raised", "吹哨";
        Accepted => "accepted", "报到";
        Resolved => "resolved", "办结";
        AllResolved => "all_resolved", "待确认";
        Confirmed => "confirmed", "确认办结";
        Rejected => "rejected", "退回重办";
        Escalated => "escalated", "升级督办";
        Attached => "attached", "上传附件";
    }
);

named_enum!(
    /// What happened at a place that a channel may carry besides tickets. A channel taking
    /// every event (no list) takes all of these but fevers, which it takes only when named.
    PlaceEvent {
        HandoverOverdue => "handover_overdue", "交接超时";
        ReportMissing => "report_missing", "日报未报";
        Fever => "fever", "卡口发热";
        LowStock => "low_stock", "物资短缺";
        Briefing => "briefing", "每日简报";
    }
);

/// The Chinese name of an event a channel carries: a ticket's or a place's.
pub fn event_zh(code: &str) -> Option<&'static str> {
    TicketEvent::parse(code)
        .map(TicketEvent::zh)
        .or_else(|| PlaceEvent::parse(code).map(PlaceEvent::zh))
}

/// The code of an event named by its code or its Chinese name, a ticket's or a place's.
pub fn event_code(name: &str) -> Option<&'static str> {
    TicketEvent::parse(name)
        .map(TicketEvent::as_str)
        .or_else(|| PlaceEvent::parse(name).map(PlaceEvent::as_str))
}

named_enum!(
    /// The kind of robot or gateway a unit's channel speaks to.
    ChannelKind {
        Generic => "generic", "通用推送（签名 JSON）";
        Wecom => "wecom", "企业微信 / 政务微信群机器人";
        Dingtalk => "dingtalk", "钉钉群机器人";
        Feishu => "feishu", "飞书群机器人";
        Sms => "sms", "短信网关";
    }
);

impl TicketCategory {
    /// The category a production problem's category maps to.
    pub fn from_problem(code: &str) -> TicketCategory {
        TicketCategory::parse(code).unwrap_or(TicketCategory::Other)
    }
}

/// Deadlines by kind: minutes to accept, hours to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deadlines {
    pub emergency_accept_minutes: u32,
    pub tough_accept_minutes: u32,
    pub routine_accept_minutes: u32,
    pub emergency_resolve_hours: u32,
    pub tough_resolve_hours: u32,
    pub routine_resolve_hours: u32,
}

/// Emergencies: departments on site within 30 minutes.
pub const DEFAULT_EMERGENCY_ACCEPT_MINUTES: u32 = 30;

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            emergency_accept_minutes: DEFAULT_EMERGENCY_ACCEPT_MINUTES,
            tough_accept_minutes: 120,
            routine_accept_minutes: 240,
            emergency_resolve_hours: 6,
            tough_resolve_hours: 72,
            routine_resolve_hours: 48,
        }
    }
}

impl Deadlines {
    /// How long a called department has to report (accept).
    pub fn accept(&self, kind: TicketKind) -> Duration {
        let m = match kind {
            TicketKind::Emergency => self.emergency_accept_minutes,
            TicketKind::Tough => self.tough_accept_minutes,
            TicketKind::Routine => self.routine_accept_minutes,
        };
        Duration::minutes(i64::from(m.max(1)))
    }

    /// How long the departments have to resolve, from the raising (or a reopening).
    pub fn resolve(&self, kind: TicketKind) -> Duration {
        let h = match kind {
            TicketKind::Emergency => self.emergency_resolve_hours,
            TicketKind::Tough => self.tough_resolve_hours,
            TicketKind::Routine => self.routine_resolve_hours,
        };
        Duration::hours(i64::from(h.max(1)))
    }

    /// The time between two escalation steps of a ticket of this kind: its accept period.
    pub fn step(&self, kind: TicketKind) -> Duration {
        self.accept(kind)
    }
}

/// The level a ticket climbs to next from `current`: grid → village → township → county →
/// prefecture. `None` at the prefecture (or above): there is nowhere higher to go.
pub fn next_level(current: &Code) -> Option<Code> {
    if current.level() <= Level::Prefecture {
        return None;
    }
    current.parent()
}

/// Who raised a ticket, from the level of the place it was raised at.
pub fn raiser_of_place(code: &Code) -> RaiserKind {
    match code.level() {
        Level::Grid => RaiserKind::Grid,
        Level::Village => RaiserKind::Village,
        Level::Township => RaiserKind::Township,
        _ => RaiserKind::County,
    }
}

/// The state of a ticket that decides whether it escalates: its deadlines and progress.
#[derive(Debug, Clone, Copy)]
pub struct Overdue {
    /// Some called department has not accepted and the accept deadline is this.
    pub accept_due: Option<DateTime<Utc>>,
    /// Not every department has resolved and the resolution deadline is this.
    pub resolve_due: Option<DateTime<Utc>>,
}

/// When the next escalation step of a ticket falls due, and why, given its unmet deadlines
/// and the due time of its last step (`None` before the first). Steps follow one another by
/// at least `step`, so a ticket left alone climbs one level per period; the times are
/// computed, not taken from when a scheduler happened to run, so every instance agrees.
pub fn next_step_due(
    o: Overdue,
    last_step_due: Option<DateTime<Utc>>,
    step: Duration,
) -> Option<(DateTime<Utc>, EscalationReason)> {
    let breach = match (o.accept_due, o.resolve_due) {
        (Some(a), Some(r)) if r < a => Some((r, EscalationReason::NotResolved)),
        (Some(a), _) => Some((a, EscalationReason::NotAccepted)),
        (None, Some(r)) => Some((r, EscalationReason::NotResolved)),
        (None, None) => None,
    }?;
    let due = match last_step_due {
        None => breach.0,
        Some(last) => std::cmp::max(breach.0, last + step),
    };
    Some((due, breach.1))
}

/// A rating of the whistler's satisfaction, 1 (very unsatisfied) to 5 (very satisfied).
pub fn check_rating(r: i64) -> Result<i32, String> {
    if (1..=5).contains(&r) {
        Ok(r as i32)
    } else {
        Err(format!("评价应为 1 到 5 星，收到 {r}"))
    }
}

/// Satisfied means four stars or five.
pub fn satisfied(r: i32) -> bool {
    r >= 4
}

/// What an attachment is, judged from its first bytes (never from its name alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
    /// Word, Excel (Office Open XML: a zip) — accepted with a .docx or .xlsx name.
    Docx,
    Xlsx,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileType::Jpeg | FileType::Png | FileType::Gif | FileType::Webp
        )
    }
}

/// The kinds of file accepted, for messages.
pub const ALLOWED_FILES: &str =
    "照片（JPEG、PNG、GIF、WebP）或文档（PDF、Word .docx、Excel .xlsx）";

/// Sniffs the type of a file from its content; the name only tells two zip-based Office
/// formats apart. Anything else (executables, scripts, HTML, renamed files) is refused.
pub fn sniff(bytes: &[u8], name: &str) -> Option<FileType> {
    let lower = name.to_lowercase();
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileType::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(FileType::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(&[b'P', b'K', 0x03, 0x04]) {
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        if lower.ends_with(".docx") && has(b"word/") {
            Some(FileType::Docx)
        } else if lower.ends_with(".xlsx") && has(b"xl/") {
            Some(FileType::Xlsx)
        } else {
            None
        }
    } else {
        None
    }
}

/// A file name safe to store and to offer for download: no path, no control characters,
/// at most 100 characters.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .take(100)
        .collect();
    let s = s.trim().trim_start_matches('.').to_string();
    if s.is_empty() {
        "附件".into()
    } else {
        s
    }
}

/// The median and the 90th percentile (nearest rank) of some durations in minutes.
pub fn percentiles(mut xs: Vec<i64>) -> (Option<i64>, Option<i64>) {
    if xs.is_empty() {
        return (None, None);
    }
    xs.sort_unstable();
    let rank = |p: f64| {
        let r = (p * xs.len() as f64).ceil() as usize;
        xs[r.clamp(1, xs.len()) - 1]
    };
    (Some(rank(0.5)), Some(rank(0.9)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 2, 10, h, m, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn the_ladder_climbs_to_the_prefecture_and_stops() {
        let mut c = Code::parse("632801001001001").expect("grid");
        let mut seen = vec![];
        while let Some(n) = next_level(&c) {
            seen.push(n.to_string());
            c = n;
        }
        assert_eq!(seen, ["632801001001", "632801001", "632801", "6328"]);
    }

    #[test]
    fn steps_follow_the_breach_one_period_apart() {
        let step = Duration::minutes(30);
        let o = Overdue {
            accept_due: Some(t(8, 30)),
            resolve_due: Some(t(14, 0)),
        };
        assert_eq!(
            next_step_due(o, None, step),
            Some((t(8, 30), EscalationReason::NotAccepted))
        );
        assert_eq!(
            next_step_due(o, Some(t(8, 30)), step).map(|x| x.0),
            Some(t(9, 0))
        );
        // Accepted late; the resolution deadline is the next breach.
        let o = Overdue {
            accept_due: None,
            resolve_due: Some(t(14, 0)),
        };
        assert_eq!(
            next_step_due(o, Some(t(9, 0)), step),
            Some((t(14, 0), EscalationReason::NotResolved))
        );
        let none = Overdue {
            accept_due: None,
            resolve_due: None,
        };
        assert_eq!(next_step_due(none, None, step), None);
    }

    #[test]
    fn files_are_judged_by_content() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "a.jpg"),
            Some(FileType::Jpeg)
        );
        assert_eq!(sniff(b"%PDF-1.7\n", "x.bin"), Some(FileType::Pdf));
        assert_eq!(
            sniff(b"MZ\x90\x00", "photo.jpg"),
            None,
            "an executable named .jpg"
        );
        assert_eq!(sniff(b"<html><script>", "a.png"), None);
        assert_eq!(
            sniff(b"PK\x03\x04....xl/workbook.xml", "a.xlsx"),
            Some(FileType::Xlsx)
        );
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml", "a.zip"), None);
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\照片\\现场.jpg"), "现场.jpg");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentiles(vec![]), (None, None));
        assert_eq!(percentiles(vec![5]), (Some(5), Some(5)));
        let xs: Vec<i64> = (1..=10).collect();
        assert_eq!(percentiles(xs), (Some(5), Some(9)));
    }

    #[test]
    fn deadlines_by_kind() {
        let d = Deadlines::default();
        assert_eq!(d.accept(TicketKind::Emergency), Duration::minutes(30));
        assert!(d.accept(TicketKind::Routine) > d.accept(TicketKind::Tough));
        assert!(check_rating(0).is_err() && check_rating(6).is_err());
        assert_eq!(check_rating(5), Ok(5));
    }
}
