//! Mobilisation: the organisations the emergency runs through, the people it mobilises,
//! and where they serve.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// Kinds of organisation.
    OrgKind {
        TownshipCommittee => "township_committee", "乡镇（街道）党（工）委";
        VillageParty => "village_party", "村（社区）党组织";
        TempBranch => "temp_branch", "临时党支部";
        GridParty => "grid_party", "网格党组织";
        Commando => "commando", "党员突击队";
        Volunteer => "volunteer", "志愿服务队";
        WorkGroup => "work_group", "工作组";
        Department => "department", "政府部门";
    }
);

named_enum!(
    /// The kind of site an organisation or a deployment serves.
    SiteKind {
        Checkpoint => "checkpoint", "卡口";
        Hospital => "hospital", "医院";
        Enterprise => "enterprise", "企业";
        Grid => "grid", "网格";
        Community => "community", "社区";
        Other => "other", "其他";
    }
);

named_enum!(
    /// Political status.
    PoliticalStatus {
        PartyMember => "party_member", "中共党员";
        Probationary => "probationary", "中共预备党员";
        League => "league", "共青团员";
        OtherParty => "other_party", "民主党派";
        Masses => "masses", "群众";
    }
);

named_enum!(
    /// Categories of the people the emergency mobilises.
    Category {
        Cadre => "cadre", "干部";
        FirstSecretary => "first_secretary", "第一书记";
        WorkTeam => "work_team", "驻村工作队员";
        Medical => "medical", "医务人员";
        InServiceMember => "in_service_member", "在职党员";
        RetiredCadre => "retired_cadre", "离退休干部";
        Deputy => "deputy", "人大代表、政协委员";
        Veteran => "veteran", "退役军人";
        Student => "student", "返乡大学生";
        Volunteer => "volunteer", "志愿者";
    }
);

named_enum!(
    /// What an application to serve at the front (请战书) came to.
    ApplicationStatus {
        Submitted => "submitted", "待审批";
        Approved => "approved", "已批准";
        Declined => "declined", "未批准";
    }
);

named_enum!(
    /// Kinds of front-line record on a cadre (一线考察).
    CadreRecordKind {
        Observation => "observation", "一线观察";
        Commendation => "commendation", "表扬嘉奖";
        Assessment => "assessment", "考核评价";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(*k));
            assert_eq!(OrgKind::parse(k.zh()), Some(*k));
        }
        assert_eq!(Category::parse("第一书记"), Some(Category::FirstSecretary));
        assert_eq!(SiteKind::parse("水库"), None);
    }
}
