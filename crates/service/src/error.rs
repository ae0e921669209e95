//! The one error type of the service layer. The web layer turns it into a response (an
//! HTML message for pages, `{"error": …}` for the API), the CLI into a line on stderr.

use dualtrack_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: the field and what is wrong with it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The record clashes with one that exists (a user name taken, say).
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// No such record, or not within the caller's jurisdiction: the two look the same.
    #[error("{0}")]
    NotFound(String),
    /// A record the input refers to (by id or code, in `field`) does not exist or lies
    /// outside the caller's jurisdiction: answered as an id in the path would be, as not
    /// found, naming the field.
    #[error("{message}")]
    Unknown {
        field: &'static str,
        message: String,
    },
    /// The caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Not logged in, bad credentials, or the session expired.
    #[error("{0}")]
    Unauthenticated(String),
    /// The account is locked.
    #[error("{0}")]
    Locked(String),
    /// An idempotency key sent again with a request other than the one it was first used
    /// for (another body, another record, another kind of request).
    #[error("{0}")]
    IdempotencyMismatch(String),
    /// An import refused whole: every row's problems, nothing written.
    #[error("{message}")]
    Rejected {
        message: String,
        rows: Vec<crate::spreadsheet::RowError>,
    },
    /// Figures that look implausible, sent without confirming them: each field with why.
    /// Nothing is written; the same figures sent again with the confirmation are.
    #[error("{message}")]
    Unconfirmed {
        message: String,
        fields: Vec<(&'static str, String)>,
    },
    /// The database failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A stored value cannot be opened (its key is not configured, or the value or key file
    /// was changed): the message names the key, for the administrator to act on.
    #[error("{0}")]
    Undecryptable(String),
    /// Something else failed inside.
    #[error("内部错误：{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A request that the records as they are refuse (written already, decided already),
    /// naming the field to change.
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Conflict {
            field,
            message: message.into(),
        }
    }

    /// A record referred to by `field` of the input that does not exist or lies outside the
    /// caller's jurisdiction.
    pub fn unknown(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Unknown {
            field,
            message: message.into(),
        }
    }

    /// Turns "not found" into "the record `field` refers to was not found": for records
    /// looked up by an id given in the body rather than the path.
    pub fn referred_by(self, field: &'static str) -> Self {
        match self {
            ServiceError::NotFound(message) => ServiceError::Unknown { field, message },
            other => other,
        }
    }

    /// A write the store refused: where it broke a unique rule (the record is there already),
    /// a conflict on `field` saying `message`; any other error as it is.
    pub fn taken(err: StoreError, field: &'static str, message: impl FnOnce() -> String) -> Self {
        match err {
            StoreError::Unique(_) => ServiceError::conflict(field, message()),
            other => other.into(),
        }
    }

    /// A short machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid { .. } => "invalid",
            ServiceError::Conflict { .. } => "conflict",
            ServiceError::NotFound(_) | ServiceError::Unknown { .. } => "not_found",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::Unauthenticated(_) => "unauthenticated",
            ServiceError::Locked(_) => "locked",
            ServiceError::IdempotencyMismatch(_) => "idempotency_mismatch",
            ServiceError::Rejected { .. } => "import_rejected",
            ServiceError::Unconfirmed { .. } => "implausible",
            ServiceError::Store(StoreError::Busy(_)) => "busy",
            ServiceError::Store(e) if e.is_transient() => "unavailable",
            ServiceError::Store(_) => "storage",
            ServiceError::Internal(_) | ServiceError::Undecryptable(_) => "internal",
        }
    }

    /// The field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ServiceError::Invalid { field, .. }
            | ServiceError::Conflict { field, .. }
            | ServiceError::Unknown { field, .. } => Some(field),
            ServiceError::IdempotencyMismatch(_) => Some("idempotency_key"),
            _ => None,
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
