//! A refusal by a membership rule: names the rule id and, where one is to blame, the input field.

use serde::Serialize;

/// Why the rules engine said no. `rule` is a stable id such as `R-PTS-4`; `field` names the
/// request field at fault (dotted path, e.g. `lines[2].quantity`) when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct RuleViolation {
    pub rule: &'static str,
    pub field: Option<String>,
    pub message: String,
}

impl RuleViolation {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            field: None,
            message: message.into(),
        }
    }

    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}
