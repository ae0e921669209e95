//! Refusals on the newer mobilisation forms name the field they are about: the service says
//! what is wrong (“日期格式应为 年-月-日…”), the form puts the field's label in front.

use dualtrack_service::ServiceError;

/// Puts the label of the field in front of the message of bad input, unless the message
/// names it already.
pub(super) fn labelled(e: ServiceError, labels: &[(&str, &str)]) -> ServiceError {
    match e {
        ServiceError::Invalid { field, message } => {
            let label = labels.iter().find(|(f, _)| *f == field).map(|(_, l)| *l);
            let message = match label {
                Some(l) if !message.contains(l) => format!("{l}：{message}"),
                _ => message,
            };
            ServiceError::Invalid { field, message }
        }
        other => other,
    }
}
