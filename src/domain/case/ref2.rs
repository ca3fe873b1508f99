//! The case parts FOGD-REF-2 added (fogd-ref-2.md §2.1–§2.3): the original creditor of a bought claim, the
//! requests, the security of a fordringsanmälan, their intake forms, and the stored form of a [`Debtor`] (whose
//! `business` flag defaults from its identity number).

use super::{Debtor, IdNumber};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The original creditor of a transferred (bought) claim (fogd-ref-2.md §2.1, record `13` Överlåtelse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalCreditor {
    /// Identity number of the original creditor.
    pub id: IdNumber,
    /// Name of the original creditor.
    pub name: String,
    /// The date the claim was transferred.
    pub transfer_date: NaiveDate,
}

/// What the sökande asks of Kronofogden besides the utslag (fogd-ref-2.md §2.1, record `10`; BfL 34 §).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requests {
    /// Enforce the utslag at once (`yrkande_verkstallighet`).
    #[serde(default)]
    pub enforcement: bool,
    /// Hand the case over to tingsrätt if the debtor disputes it (`yrkande_overlamnande`).
    #[serde(default)]
    pub court_if_disputed: bool,
}

impl Requests {
    /// True when nothing is requested (then the case leaves the field out when serialised).
    pub fn is_none(&self) -> bool {
        !self.enforcement && !self.court_if_disputed
    }
}

/// The security a fordringsanmälan names (fogd-ref-2.md §2.3, `sakerhet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    /// No security.
    None,
    /// A guarantee (borgen).
    Borgen,
    /// A pledge (pant).
    Pant,
}

/// Security for the claims of a fordringsanmälan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Security {
    /// Kind of security.
    pub kind: SecurityKind,
    /// What the security is (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The serialised form of a [`Debtor`] (see there).
#[derive(Deserialize)]
pub(super) struct DebtorRepr {
    #[serde(default)]
    id: Option<IdNumber>,
    name: String,
    #[serde(default)]
    care_of: Option<String>,
    #[serde(default)]
    street: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    city: Option<String>,
    country: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    business: Option<bool>,
}

impl From<DebtorRepr> for Debtor {
    fn from(r: DebtorRepr) -> Debtor {
        let business = r
            .business
            .unwrap_or_else(|| Debtor::default_business(r.id.as_ref()));
        Debtor {
            id: r.id,
            name: r.name,
            care_of: r.care_of,
            street: r.street,
            postal_code: r.postal_code,
            city: r.city,
            country: r.country,
            phone: r.phone,
            email: r.email,
            business,
        }
    }
}

/// [`DebtorRepr`] borrowed, so that writing a debtor copies nothing.
#[derive(Serialize)]
struct DebtorOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a IdNumber>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    care_of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    street: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    business: Option<bool>,
}

impl Serialize for Debtor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DebtorOut {
            id: self.id.as_ref(),
            name: &self.name,
            care_of: self.care_of.as_deref(),
            street: self.street.as_deref(),
            postal_code: self.postal_code.as_deref(),
            city: self.city.as_deref(),
            country: &self.country,
            phone: self.phone.as_deref(),
            email: self.email.as_deref(),
            business: (self.business != Debtor::default_business(self.id.as_ref()))
                .then_some(self.business),
        }
        .serialize(s)
    }
}

/// The original creditor of a bought claim as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginalCreditorInput {
    /// Identity number text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name as registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Date of the transfer, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_date: Option<String>,
}

/// The requests of a BFÖ application as they arrive (absent = false).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestsInput {
    /// Enforce the utslag at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<bool>,
    /// Hand over to tingsrätt if the debtor disputes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub court_if_disputed: Option<bool>,
}

/// Security as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityInput {
    /// `none`, `borgen` or `pant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What the security is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}
