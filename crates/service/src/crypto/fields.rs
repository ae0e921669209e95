//! Which fields of which stored rows are sealed, opened as the rows are read.

use super::{CryptoError, FieldCrypto};
use dualtrack_store::checkpoints::TravellerRow;
use dualtrack_store::handovers::{HandoverRow, OutboundRow};
use dualtrack_store::mobilisation::PersonRow;
use dualtrack_store::monitoring::CaseRow;
use dualtrack_store::sealing::SealedText;

/// A stored row with sealed personal fields.
pub trait Personal {
    /// Opens the row's sealed fields in place.
    fn open_with(&mut self, c: &FieldCrypto) -> Result<(), CryptoError>;
}

macro_rules! personal {
    ($($row:ty => [$($text:ident),*] [$($opt:ident),*];)*) => {$(
        impl Personal for $row {
            fn open_with(&mut self, c: &FieldCrypto) -> Result<(), CryptoError> {
                $(c.open_in_place(&mut self.$text)?;)*
                $(c.open_opt_in_place(&mut self.$opt)?;)*
                Ok(())
            }
        }
    )*};
}

personal! {
    TravellerRow => [name, id_number] [phone];
    HandoverRow => [name, id_number] [phone];
    OutboundRow => [name, id_number] [phone];
    CaseRow => [name, id_number, place, reason] [phone, release_reason, resume_finding];
    PersonRow => [id_number] [phone];
}

impl FieldCrypto {
    /// A row read, its sealed fields opened.
    pub fn opened<T: Personal>(&self, mut row: T) -> Result<T, CryptoError> {
        row.open_with(self)?;
        Ok(row)
    }

    /// A row perhaps read, its sealed fields opened.
    pub fn opened_opt<T: Personal>(&self, row: Option<T>) -> Result<Option<T>, CryptoError> {
        row.map(|r| self.opened(r)).transpose()
    }

    /// Rows read, their sealed fields opened.
    pub fn opened_all<T: Personal>(&self, rows: Vec<T>) -> Result<Vec<T>, CryptoError> {
        rows.into_iter().map(|r| self.opened(r)).collect()
    }
}

impl FieldCrypto {
    /// Opens the value of a sealed column.
    pub fn open_text(&self, stored: &SealedText) -> Result<String, CryptoError> {
        self.open(stored.as_stored())
    }

    /// Opens the value of a sealed column that may be empty.
    pub fn open_text_opt(
        &self,
        stored: &Option<SealedText>,
    ) -> Result<Option<String>, CryptoError> {
        stored.as_ref().map(|s| self.open_text(s)).transpose()
    }
}

impl super::Sealer<'_> {
    /// Seals a value for a sealed column.
    pub fn seal_text(&self, plain: &str) -> SealedText {
        SealedText::stored(self.seal(plain))
    }

    /// Seals a value, perhaps empty, for a sealed column.
    pub fn seal_text_opt(&self, plain: Option<&str>) -> Option<SealedText> {
        plain.map(|p| self.seal_text(p))
    }
}
