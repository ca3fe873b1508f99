//! How the domain's named enums and instants are kept in the database: enums as their stored names (TEXT, listed
//! in the migrations' `CHECK` constraints), instants as RFC 3339 text in UTC with microseconds and `Z`, so that
//! text order is time order. Decoding a value that is not one of the names fails with the name of the enum.

use crate::domain::state::{Cause, MessageKind};
use crate::domain::{CaseState, FileState};
use crate::formats::{Beslutstyp, KvittensStatus};
use crate::store::tokens::Role;
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Implements `Type`, `Encode` and `Decode` for both backends on enums with `as_str` and `FromStr`.
macro_rules! stored_by_name {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB: Database> Type<DB> for $t
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as Decode<'r, DB>>::decode(value)?;
                Ok(text.parse::<$t>()?)
            }
        }
    )+};
}

stored_by_name!(
    CaseState,
    FileState,
    Cause,
    MessageKind,
    KvittensStatus,
    Beslutstyp,
    Role
);

/// An instant as the store keeps it (see the module doc); converted to and from `DateTime<Utc>` at the store's
/// edge, so nothing above the store handles time text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredTime(pub DateTime<Utc>);

impl StoredTime {
    /// The stored text.
    pub fn text(self) -> String {
        crate::domain::time::stamp(self.0)
    }
}

impl From<StoredTime> for DateTime<Utc> {
    fn from(t: StoredTime) -> DateTime<Utc> {
        t.0
    }
}

impl From<DateTime<Utc>> for StoredTime {
    fn from(t: DateTime<Utc>) -> StoredTime {
        StoredTime(t)
    }
}

/// Stored text that is not an RFC 3339 instant.
#[derive(Debug, thiserror::Error)]
#[error("stored time {text:?}: {source}")]
pub struct BadTime {
    text: String,
    #[source]
    source: chrono::ParseError,
}

impl<DB: Database> Type<DB> for StoredTime
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for StoredTime
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, DB>>::encode(self.text(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for StoredTime
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&'r str as Decode<'r, DB>>::decode(value)?;
        let t = DateTime::parse_from_rfc3339(text).map_err(|source| BadTime {
            text: text.to_string(),
            source,
        })?;
        Ok(StoredTime(t.with_timezone(&Utc)))
    }
}

/// A nullable [`StoredTime`] column, read into `Option<DateTime<Utc>>` (`#[sqlx(try_from = "MaybeStoredTime")]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeStoredTime(pub Option<StoredTime>);

impl From<MaybeStoredTime> for Option<DateTime<Utc>> {
    fn from(t: MaybeStoredTime) -> Option<DateTime<Utc>> {
        t.0.map(|t| t.0)
    }
}

impl<DB: Database> Type<DB> for MaybeStoredTime
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for MaybeStoredTime
where
    Option<StoredTime>: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(MaybeStoredTime(
            <Option<StoredTime> as Decode<'r, DB>>::decode(value)?,
        ))
    }
}
