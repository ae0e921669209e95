//! Declarations shared by the tables' modules.

/// Declares, from one list of the fields they share, the row a table is read as and the
/// values a new row is written with. The row has its own fields first (its `id`, what the
/// database sets or joins in), then the shared ones; the new row has the shared fields, then
/// its own (what is written but not read back). Attributes and doc comments are kept as given.
///
/// ```ignore
/// row_and_new! {
///     #[derive(Debug, Clone, sqlx::FromRow)]
///     pub struct ItemRow { pub id: i64 }
///     #[derive(Debug, Clone)]
///     pub struct NewItem { pub created_by: String }
///     both {
///         pub name: String,
///     }
/// }
/// ```
macro_rules! row_and_new {
    (
        $(#[$row_attr:meta])*
        pub struct $row:ident { $( $(#[$row_field_attr:meta])* pub $row_field:ident : $row_ty:ty ),* $(,)? }
        $(#[$new_attr:meta])*
        pub struct $new:ident { $( $(#[$new_field_attr:meta])* pub $new_field:ident : $new_ty:ty ),* $(,)? }
        both { $( $(#[$field_attr:meta])* pub $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$row_attr])*
        pub struct $row {
            $( $(#[$row_field_attr])* pub $row_field: $row_ty, )*
            $( $(#[$field_attr])* pub $field: $ty, )*
        }

        $(#[$new_attr])*
        pub struct $new {
            $( $(#[$field_attr])* pub $field: $ty, )*
            $( $(#[$new_field_attr])* pub $new_field: $new_ty, )*
        }
    };
}
