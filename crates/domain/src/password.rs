//! The password policy, set by configuration.
//!
//! A new password is refused when it is too short, has too few kinds of characters, is
//! one of the 5,000 most common passwords (`common_passwords.txt`, from zxcvbn's list, see
//! `common_passwords.NOTICE`) or one of them with digits and symbols added before or after,
//! contains the user name, or is the published demo password outside the demo. The service
//! adds what needs the stored account (not the current password; later, not a recent one).

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The password of every demo account, published in the README: refused as a new password
/// anywhere but on a demo server.
pub const DEMO_PASSWORD: &str = "Haixi@2020";

/// The most common passwords, lower case, one a line.
const COMMON: &str = include_str!("common_passwords.txt");

/// Common in this country and this deployment, and missing from the list above.
const COMMON_HERE: &[&str] = &[
    "woaini",
    "woaini1314",
    "5201314",
    "1314520",
    "qq123456",
    "a123456",
    "aa123456",
    "abc123456",
    "a123456789",
    "zxc123456",
    "zhongguo",
    "beijing",
    "qinghai",
    "haixi",
    "golmud",
    "delingha",
    "dualtrack",
    "shuangxian",
];

fn common_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .chain(COMMON_HERE.iter().copied())
            .collect()
    })
}

/// Whether a password is a common one, ignoring case and any digits and symbols added
/// before or after it (`Password1!`, `!Qwerty123`).
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let set = common_set();
    let not_letter = |c: char| !c.is_alphabetic();
    let tail = lower.trim_end_matches(not_letter);
    let core = tail.trim_start_matches(not_letter);
    let found = [lower.as_str(), tail, core]
        .iter()
        .any(|w| w.chars().count() >= 4 && set.contains(*w));
    found
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum number of characters.
    pub min_length: usize,
    /// Minimum number of character classes (lower case, upper case, digits, others).
    pub min_classes: usize,
    /// The demo password may be set (a server run with `--demo` only).
    #[serde(default)]
    pub allow_demo_password: bool,
    /// How many of an account's previous passwords may not be used again (0: none).
    #[serde(default)]
    pub history: usize,
    /// Days after which a password must be changed (0: never).
    #[serde(default)]
    pub max_age_days: u32,
    /// A password set by an administrator (a new account, a reset) is changed at the next
    /// login.
    #[serde(default)]
    pub change_when_set_by_admin: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 10,
            min_classes: 3,
            allow_demo_password: false,
            history: 5,
            max_age_days: 0,
            change_when_set_by_admin: true,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password against the rules that need nothing stored; the message names
    /// the password and says what is wrong.
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
        if password
            .to_lowercase()
            .contains(&DEMO_PASSWORD.to_lowercase())
        {
            if self.allow_demo_password && password == DEMO_PASSWORD {
                return Ok(());
            }
            return Err("密码不能使用公开的演示密码".into());
        }
        if is_common(password) {
            return Err(
                "密码过于常见（或只是在常见密码前后加了数字、符号），容易被猜中，请换一个".into(),
            );
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
    fn common_passwords_and_their_variants_are_refused() {
        let p = PasswordPolicy::default();
        for weak in [
            "Password1!",
            "Qwerty123!",
            "Admin@1234",
            "P@ssw0rd2020",
            "!!Sunshine2020",
            "Woaini1314!",
        ] {
            let e = p.check(weak, "someone").unwrap_err();
            assert!(e.contains("常见"), "{weak}: {e}");
        }
        assert!(p.check("Golmud2020!x", "zhang").is_ok());
        assert!(p.check("Tuanjie#Hu7", "zhang").is_ok());
    }

    #[test]
    fn demo_password_only_on_a_demo_server() {
        let p = PasswordPolicy::default();
        assert!(p
            .check(DEMO_PASSWORD, "u")
            .unwrap_err()
            .contains("演示密码"));
        assert!(p
            .check("haixi@2020X", "u")
            .unwrap_err()
            .contains("演示密码"));
        let demo = PasswordPolicy {
            allow_demo_password: true,
            ..PasswordPolicy::default()
        };
        assert!(demo.check(DEMO_PASSWORD, "u").is_ok());
    }

    #[test]
    fn usernames() {
        assert!(validate_username("ge_er_mu").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("张三").is_err());
    }
}
