//! The password policy, set by configuration.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum number of characters.
    pub min_length: usize,
    /// Minimum number of character classes (lower case, upper case, digits, others).
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 10,
            min_classes: 3,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password; the message says what is missing.
    pub fn check(&self, password: &str, username: &str) -> Result<(), String> {
        let len = password.chars().count();
        if len < self.min_length {
            return Err(format!(
                "密码至少需要 {} 个字符，当前为 {} 个",
                self.min_length, len
            ));
        }
        if len > 128 {
            return Err("密码不能超过 128 个字符".into());
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .into_iter()
        .filter(|b| *b)
        .count();
        if classes < self.min_classes {
            return Err(format!(
                "密码需包含小写字母、大写字母、数字、其他符号中的至少 {} 类，当前只有 {} 类",
                self.min_classes, classes
            ));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err("密码不能包含用户名".into());
        }
        Ok(())
    }
}

/// Checks a user name: 3 to 32 characters of letters, digits, `_`, `-` and `.`.
pub fn validate_username(raw: &str) -> Result<String, String> {
    let u = raw.trim();
    let n = u.chars().count();
    if !(3..=32).contains(&n) {
        return Err("用户名长度应为 3 到 32 个字符".into());
    }
    if !u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("用户名只能包含英文字母、数字、下划线、连字符和点".into());
    }
    Ok(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_what_is_missing() {
        let p = PasswordPolicy::default();
        assert!(p.check("short1A", "u").unwrap_err().contains("至少需要 10"));
        assert!(p
            .check("alllowercaseletters", "u")
            .unwrap_err()
            .contains("至少 3 类"));
        assert!(p.check("Golmud2020!x", "zhang").is_ok());
        assert!(p
            .check("Zhang2020!xx", "zhang")
            .unwrap_err()
            .contains("用户名"));
    }

    #[test]
    fn usernames() {
        assert!(validate_username("ge_er_mu").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("张三").is_err());
    }
}
