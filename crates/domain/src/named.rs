//! Enumerations of the field with an identifier and a Chinese name each: the identifier is
//! what the API and the database carry, the Chinese name what people read and may type.

/// Declares such an enumeration with `ALL`, `as_str`, `zh`, `parse` (either form) and
/// `choices` (for forms).
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $id:tt, $zh:literal;)* }) => {
        $(#[$m])*
        // Each value is written and read as its identifier, the one `as_str` gives and
        // `parse` takes, so that what the API writes it also reads back.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(#[serde(rename = $id)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)*
                }
            }

            pub fn zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh,)*
                }
            }

            /// Accepts the identifier or the Chinese name.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == s || v.zh() == s)
            }

            /// Every value as `(identifier, Chinese name)`, for forms.
            pub fn choices() -> Vec<(&'static str, &'static str)> {
                $name::ALL.iter().map(|v| (v.as_str(), v.zh())).collect()
            }
        }
    };
}
