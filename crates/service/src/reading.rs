//! Where reads go when a standby is configured (`[database] replica_url`).
//!
//! Only the reads named here tolerate a second of lag and go to the standby: the command
//! view and its statistics, the daily briefing, and the rows of exports. Each of them runs
//! through [`App::on_reader`], which hands it a copy of the application whose pool is the
//! standby's (or the primary's, when the standby is down or behind). Everything else —
//! forms and the lists read right after them, sessions, idempotency keys, accounts and
//! scopes, and every write, refusals and export records included — uses [`App::db`], the
//! primary. A copy for reading still writes to the primary ([`App::writer`]).

use crate::{App, ServiceError, ServiceResult};
use dualtrack_store::replica::Replica;
use dualtrack_store::Db;
use std::future::Future;

impl App {
    /// Sends the reads that tolerate lag to this standby.
    pub fn with_replica(mut self, replica: Replica) -> App {
        self.replica = Some(replica);
        self
    }

    /// The pool writes go to: the primary, also from a copy made for reading.
    pub fn writer(&self) -> &Db {
        self.primary.as_ref().unwrap_or(&self.db)
    }

    /// A copy of the application for reads that tolerate lag: its pool is the standby's
    /// while the standby is healthy, otherwise the primary's.
    async fn for_reading(&self) -> App {
        let Some(r) = &self.replica else {
            return self.clone();
        };
        let reader = r.reader(self.writer()).await;
        let mut app = self.clone();
        if r.is_replica(&reader) {
            app.primary = Some(self.writer().clone());
            app.db = reader;
        }
        app
    }

    /// Runs `read` on a copy of the application for reads that tolerate lag. If the standby
    /// fails under it (gone since the last check), the standby is set aside and the read
    /// runs again on the primary: losing the standby never fails a read.
    pub(crate) async fn on_reader<T, F, Fut>(&self, read: F) -> ServiceResult<T>
    where
        F: Fn(App) -> Fut,
        Fut: Future<Output = ServiceResult<T>>,
    {
        let app = self.for_reading().await;
        let on_standby = app.primary.is_some();
        match read(app).await {
            Err(e) if on_standby && standby_failure(&e) => {
                tracing::warn!(error = %e, "a read on the standby failed; it runs on the primary");
                if let Some(r) = &self.replica {
                    r.failed();
                }
                let mut app = self.clone();
                app.db = self.writer().clone();
                app.primary = None;
                read(app).await
            }
            r => r,
        }
    }
}

/// Whether a read failed in storage rather than in what was asked: on the standby that may
/// be the standby itself (unreachable, restarting, refusing connections, a query cancelled by
/// its replay), so the read is asked again of the primary, which answers for itself.
fn standby_failure(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Store(_))
}
