//! The whistle pages (吹哨报到): the list (the whistler's tickets, a department's work list,
//! the tickets a level supervises), the phone form that blows the whistle (also reached in
//! one click from a grid report, a follow-up, an enterprise report or a production
//! problem), a ticket's page with the report-back, confirmation and attachment forms, the
//! inbox, the leader's figures, and the page where departments, routing rules and webhooks
//! are set up, with each channel's page of deliveries.
mod channel;
mod figures;
mod inbox;
mod setup;
mod tickets;

pub use channel::{channel, send_test};
pub use figures::figures;
pub use inbox::{inbox, read};
pub use setup::{add_member, create_department, create_webhook, set_rule, setup};
pub use tickets::{accept, attachment, confirm, create, list, new_form, page, reject, resolve};

use crate::forms::non_empty;
use dualtrack_domain::time::display;
use dualtrack_service::whistle::TicketView;

fn s(v: &str) -> Option<String> {
    non_empty(&Some(v.to_string()))
}

/// A ticket as a line of a list.
pub struct Line {
    pub t: TicketView,
    pub raised: String,
    pub due: String,
}

fn line(t: TicketView) -> Line {
    Line {
        raised: display(t.raised_at),
        due: if t.status == dualtrack_domain::whistle::TicketStatus::Open {
            format!("报到时限 {}", display(t.accept_due_at))
        } else {
            format!("办结时限 {}", display(t.resolve_due_at))
        },
        t,
    }
}
