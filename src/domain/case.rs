//! The case model: what one application (or follow-up) to Kronofogden holds, for all six kinds (intake.md §1).
//!
//! [`CaseInput`] is what arrives (JSON/CSV, loosely typed, every field optional so that *all* problems of a case can
//! be reported at once); [`Case`] is the validated, normalised form that the journal keeps and the builder writes.

use super::amount::Amount;
use super::ids::IdNumber;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod ref2;
use ref2::DebtorRepr;
pub use ref2::{
    OriginalCreditor, OriginalCreditorInput, Requests, RequestsInput, Security, SecurityInput,
    SecurityKind,
};

/// The six kinds of case fogd files with Kronofogden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// Ansökan om betalningsföreläggande (BFÖ).
    Betalningsforelaggande,
    /// Nedsättning: reduce the claim of a BFÖ case.
    Nedsattning,
    /// Återkallelse: withdraw a BFÖ case.
    Aterkallelse,
    /// Ansökan om verkställighet.
    Verkstallighet,
    /// Ändring of a verkställighet case (amount, withdrawal, deferral).
    VerkstallighetAndring,
    /// Fordringsanmälan in a skuldsanering.
    Fordringsanmalan,
    /// Begäran about a registered BFÖ case: överlämnande or verkställighet (fogd-ref-2.md §2.5).
    Begaran,
}

impl CaseKind {
    /// Every kind, in a stable order.
    pub const ALL: [CaseKind; 7] = [
        CaseKind::Betalningsforelaggande,
        CaseKind::Nedsattning,
        CaseKind::Aterkallelse,
        CaseKind::Verkstallighet,
        CaseKind::VerkstallighetAndring,
        CaseKind::Fordringsanmalan,
        CaseKind::Begaran,
    ];

    /// The JSON name (`betalningsforelaggande`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Betalningsforelaggande => "betalningsforelaggande",
            CaseKind::Nedsattning => "nedsattning",
            CaseKind::Aterkallelse => "aterkallelse",
            CaseKind::Verkstallighet => "verkstallighet",
            CaseKind::VerkstallighetAndring => "verkstallighet_andring",
            CaseKind::Fordringsanmalan => "fordringsanmalan",
            CaseKind::Begaran => "begaran",
        }
    }

    /// Parses the JSON name.
    pub fn parse(text: &str) -> Option<CaseKind> {
        CaseKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }

    /// The name of the layout (file kind) this case travels in (kronofogden.md §3).
    pub fn layout_name(self) -> &'static str {
        match self {
            CaseKind::Betalningsforelaggande => "bfo-ansokan",
            CaseKind::Nedsattning => "bfo-nedsattning",
            CaseKind::Aterkallelse => "bfo-aterkallelse",
            CaseKind::Verkstallighet => "vst-ansokan",
            CaseKind::VerkstallighetAndring => "vst-andring",
            CaseKind::Fordringsanmalan => "sks-fordringsanmalan",
            CaseKind::Begaran => "bfo-begaran",
        }
    }

    /// For follow-ups, the kind of the case they concern.
    pub fn concerns_kind(self) -> Option<CaseKind> {
        match self {
            CaseKind::Nedsattning | CaseKind::Aterkallelse | CaseKind::Begaran => {
                Some(CaseKind::Betalningsforelaggande)
            }
            CaseKind::VerkstallighetAndring => Some(CaseKind::Verkstallighet),
            _ => None,
        }
    }

    /// True for nedsättning, återkallelse, ändring and begäran.
    pub fn is_follow_up(self) -> bool {
        self.concerns_kind().is_some()
    }
}

impl std::fmt::Display for CaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a claim (delkrav). Costs are every kind but `kapital` and `upplupen_ranta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// The capital.
    Kapital,
    /// Interest accrued up to the application date.
    UpplupenRanta,
    /// Collection cost.
    Inkassokostnad,
    /// Reminder fee.
    Paminnelseavgift,
    /// Late-payment compensation (business debtors only).
    Forseningsersattning,
    /// Another cost.
    AnnanKostnad,
    /// Rättegångskostnad: Kronofogden's application fee (FOGD-REF-2).
    Ansokningsavgift,
    /// Rättegångskostnad: the agent's fee for the application (FOGD-REF-2).
    Ombudsarvode,
    /// Fee for a payment plan (FOGD-REF-2).
    Amorteringsplan,
}

impl ClaimKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Kapital => "kapital",
            ClaimKind::UpplupenRanta => "upplupen_ranta",
            ClaimKind::Inkassokostnad => "inkassokostnad",
            ClaimKind::Paminnelseavgift => "paminnelseavgift",
            ClaimKind::Forseningsersattning => "forseningsersattning",
            ClaimKind::AnnanKostnad => "annan_kostnad",
            ClaimKind::Ansokningsavgift => "ansokningsavgift",
            ClaimKind::Ombudsarvode => "ombudsarvode",
            ClaimKind::Amorteringsplan => "amorteringsplan",
        }
    }

    /// Every kind, in a stable order.
    pub const ALL: [ClaimKind; 9] = [
        ClaimKind::Kapital,
        ClaimKind::UpplupenRanta,
        ClaimKind::Inkassokostnad,
        ClaimKind::Paminnelseavgift,
        ClaimKind::Forseningsersattning,
        ClaimKind::AnnanKostnad,
        ClaimKind::Ansokningsavgift,
        ClaimKind::Ombudsarvode,
        ClaimKind::Amorteringsplan,
    ];

    /// Parses the JSON name.
    pub fn parse(text: &str) -> Option<ClaimKind> {
        ClaimKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }

    /// True for cost kinds that are capped by the cost tables.
    pub fn is_cost(self) -> bool {
        !matches!(self, ClaimKind::Kapital | ClaimKind::UpplupenRanta)
    }
}

/// The kind of interest on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestKind {
    /// Referensränta plus a margin (the rate is the margin, e.g. 8.00 for räntelagen 6 §).
    ReferencePlus,
    /// A fixed rate.
    Fixed,
}

/// Interest on a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interest {
    /// Kind of interest.
    pub kind: InterestKind,
    /// Rate in hundredths of a percent (800 = 8.00 %).
    pub rate_bp: u32,
    /// Interest runs from this date.
    pub from: NaiveDate,
}

/// One claim (delkrav) of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Kind of claim.
    pub kind: ClaimKind,
    /// Amount, öre, > 0.
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// The creditor's invoice number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Grund för fordran: the basis of the claim (normalised text; the builder wraps it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Interest, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interest: Option<Interest>,
    /// Verkställighet / fordringsanmälan: interest accrued up to the title or decision date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accrued_interest: Option<Amount>,
    /// Verkställighet / fordringsanmälan: costs fixed in the title, or claimed costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub costs: Option<Amount>,
    /// When the claim arose (uppkomstdatum), where it differs from the due date; limitation counts from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arose: Option<NaiveDate>,
}

impl Claim {
    /// When the claim arose: `arose`, else the due date (intake.md §3).
    pub fn arose_or_due(&self) -> Option<NaiveDate> {
        self.arose.or(self.due_date)
    }
}

/// A party identified by number and name (creditor, agent), with the address and contact FOGD-REF-2 sends
/// (fogd-ref-2.md §2.1, records `11` and `12`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Identity number.
    pub id: IdNumber,
    /// Name as registered.
    pub name: String,
    /// Street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code (five digits, normalised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Postal town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Agent only: the agent's own reference (ombudets referens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Party {
    /// A party with identity and name only.
    pub fn new(id: IdNumber, name: impl Into<String>) -> Party {
        Party {
            id,
            name: name.into(),
            street: None,
            postal_code: None,
            city: None,
            phone: None,
            email: None,
            reference: None,
        }
    }
}

/// A debtor (svarande / gäldenär). Several debtors of one case are jointly and severally liable.
///
/// In JSON (`case/ref2.rs`) `business` is written only when it differs from its default for the identity number
/// (true for an organisationsnummer, false otherwise), and a stored debtor without it reads that default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "DebtorRepr")]
pub struct Debtor {
    /// Identity number; `None` when unknown (id_typ U).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<IdNumber>,
    /// Name as registered.
    pub name: String,
    /// c/o line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_of: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code: 5 digits for SE, free form otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166 alpha-2, default `SE`.
    pub country: String,
    /// Phone (kept, not sent in FOGD-REF-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail (kept, not sent in FOGD-REF-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A business (näringsidkare): true for an organisationsnummer, and for a sole trader identified by
    /// personnummer when the input says so (`debtors[].business`).
    pub business: bool,
}

impl Debtor {
    /// A business debtor (the `business` flag).
    pub fn is_business(&self) -> bool {
        self.business
    }

    /// `business` when the input does not say: true for an organisationsnummer, false otherwise.
    pub fn default_business(id: Option<&IdNumber>) -> bool {
        id.is_some_and(IdNumber::is_organisation)
    }
}

/// The executive title a verkställighet application rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Kind of title.
    pub kind: TitleKind,
    /// Målnummer of the utslag or dom.
    pub reference: String,
    /// Date of the title.
    pub date: NaiveDate,
    /// The court that gave a `dom` or approved a `forlikning` (record `01` `domstol`, FOGD-REF-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
}

/// Kinds of executive title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleKind {
    /// Utslag i mål om betalningsföreläggande.
    Utslag,
    Dom,
    /// Förlikning.
    Forlikning,
    Skiljedom,
    /// Annan exekutionstitel.
    Annan,
}

/// What a begäran asks for (fogd-ref-2.md §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BegaranRequest {
    /// Överlämnande to a tingsrätt, after a bestridande (wire `O`).
    Court,
    /// Verkställighet of the utslag (wire `V`).
    Enforcement,
}

impl BegaranRequest {
    /// The intake name (`court`, `enforcement`), also the layouts' code name.
    pub fn as_str(self) -> &'static str {
        match self {
            BegaranRequest::Court => "court",
            BegaranRequest::Enforcement => "enforcement",
        }
    }

    /// Reads an intake name.
    pub fn parse(text: &str) -> Option<BegaranRequest> {
        match text {
            "court" => Some(BegaranRequest::Court),
            "enforcement" => Some(BegaranRequest::Enforcement),
            _ => None,
        }
    }
}

/// Why a nedsättning or återkallelse is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpReason {
    /// Nedsättning: payment received.
    Betalning,
    /// Nedsättning: credited.
    Kreditering,
    /// Återkallelse: paid.
    Betald,
    /// Återkallelse: instalment plan agreed.
    Avbetalningsplan,
    /// Either: another reason.
    Annan,
}

/// The change a verkställighet ändring makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New remaining capital.
    Belopp,
    /// Withdrawal.
    Aterkallelse,
    /// Deferral until a date.
    Uppskov,
}

/// A verkställighet ändring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Kind of change.
    pub kind: ChangeKind,
    /// New remaining capital (for `belopp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Deferral end (for `uppskov`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// A validated case, normalised, ready for the journal and the builder.
///
/// Follow-ups (nedsättning, återkallelse, ändring) are cases of their own: `reference` is their own id, `concerns`
/// the reference of the case they concern (the same as `reference` when not given), and `malnummer` the målnummer
/// of that case (supplied by fogd from the bekräftelse, or given in the input for the stateless `fogd build`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// The agency's case id (handlingsref), 1–20 characters.
    pub reference: String,
    /// The kind of case.
    pub kind: CaseKind,
    /// The ingivare's intressentkod.
    pub intressentkod: String,
    /// The creditor (sökande); BFÖ, verkställighet, fordringsanmälan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creditor: Option<Party>,
    /// The agent (ombud), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<Party>,
    /// The creditor's own id of the debtor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    /// The claim rests on a löpande skuldebrev.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub promissory_note: bool,
    /// Debtors, 1..=9 for applications; empty for follow-ups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debtors: Vec<Debtor>,
    /// Claims, 1..=20 for applications; empty for follow-ups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    /// Verkställighet: the executive title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    /// Fordringsanmälan: the skuldsanering case at Kronofogden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debt_restructuring_case: Option<String>,
    /// Follow-ups: the reference of the case concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concerns: Option<String>,
    /// Follow-ups: the målnummer of the case concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malnummer: Option<String>,
    /// Nedsättning: the reduction amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Nedsättning: which claim (delkrav_nr; 0 = the claim as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_index: Option<u32>,
    /// Follow-ups: the date of payment/withdrawal/change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Nedsättning / återkallelse: the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<FollowUpReason>,
    /// Verkställighet ändring: the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// Begäran: what is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<BegaranRequest>,
    /// BFÖ: the original creditor of a transferred (bought) claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_creditor: Option<OriginalCreditor>,
    /// BFÖ: enforcement and handing over to tingsrätt, as requested in the application.
    #[serde(default, skip_serializing_if = "Requests::is_none")]
    pub requests: Requests,
    /// Verkställighet: payments received since the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_since_title: Option<Amount>,
    /// Fordringsanmälan: the date of the decision that opened the skuldsanering (beslut om inledande).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_date: Option<NaiveDate>,
    /// Fordringsanmälan: the date the decision was published (kungörelse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_date: Option<NaiveDate>,
    /// Fordringsanmälan: the last day to file, when given; see [`Case::filing_deadline`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// Fordringsanmälan: the security for the claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
}

impl Case {
    /// Fordringsanmälan: the last day to file: `deadline`, else `publication_date` plus one calendar month
    /// (fogd-ref-2.md §2.3); `None` without either.
    pub fn filing_deadline(&self) -> Option<NaiveDate> {
        self.deadline.or_else(|| {
            self.publication_date
                .and_then(|p| p.checked_add_months(chrono::Months::new(1)))
        })
    }

    /// The reference of the case this one concerns (itself for applications).
    pub fn concerned_reference(&self) -> &str {
        self.concerns.as_deref().unwrap_or(&self.reference)
    }

    /// The sum of the amounts this case contributes to its file's TOT-BEL: the claims' amounts for applications
    /// (for verkställighet and fordringsanmälan plus accrued interest and costs), the reduction for nedsättning,
    /// the new capital for a beloppsändring, zero otherwise. One place to change if a real layout sums differently.
    pub fn total_amount(&self) -> Amount {
        let mut sum = 0i64;
        for c in &self.claims {
            sum = sum.saturating_add(c.amount.0);
            sum = sum.saturating_add(c.accrued_interest.map_or(0, |a| a.0));
            sum = sum.saturating_add(c.costs.map_or(0, |a| a.0));
        }
        if let Some(a) = self.amount {
            sum = sum.saturating_add(a.0);
        }
        if let Some(Change {
            amount: Some(a), ..
        }) = &self.change
        {
            sum = sum.saturating_add(a.0);
        }
        Amount(sum)
    }
}

/// The OpenAPI schema of an amount or rate as it arrives: a decimal string in kronor or percent with at most two
/// decimals (`"1250.00"`, `"1250"`, `"1 250,50"`), or a JSON number; `null` as absent.
fn decimal_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .examples([serde_json::json!("1250.00")]),
        )
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Decimal string with at most two decimals (\"1250.00\", \"1 250,50\") or a number",
        ))
        .into()
}

/// What arrives through the API or import, before validation: intake.md §1, every field optional and loosely
/// typed so that validation can report every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// The agency's ärendenummer, 1–20 characters: ASCII letters, digits and `- _ / . :`, starting with a letter or
    /// digit; unique per intressentkod and kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// `betalningsforelaggande`, `nedsattning`, `aterkallelse`, `verkstallighet`, `verkstallighet_andring`,
    /// `fordringsanmalan` or `begaran`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Intressentkod (defaults to the configured one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intressentkod: Option<String>,
    /// The creditor (borgenär): organisationsnummer or personnummer and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creditor: Option<PartyInput>,
    /// The agent (ombud) acting for the creditor, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<PartyInput>,
    /// The debtor's customer number at the creditor, for the agency's own matching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    /// Löpande skuldebrev.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promissory_note: Option<bool>,
    /// The debtors, jointly and severally liable (at most 9 in the reference profile).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debtors: Vec<DebtorInput>,
    /// The claims (at most 20 in the reference profile).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimInput>,
    /// Verkställighet title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<TitleInput>,
    /// Fordringsanmälan: skuldsanering case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debt_restructuring_case: Option<String>,
    /// Follow-ups: reference of the case concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concerns: Option<String>,
    /// Follow-ups: målnummer (normally supplied by fogd).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malnummer: Option<String>,
    /// Nedsättning amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub amount: Option<serde_json::Value>,
    /// Nedsättning claim index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_index: Option<u32>,
    /// Follow-up date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Follow-up reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ändring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeInput>,
    /// Begäran: `court` (överlämnande) or `enforcement` (verkställighet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// BFÖ: the original creditor of a transferred (bought) claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_creditor: Option<OriginalCreditorInput>,
    /// BFÖ: what the sökande requests besides the utslag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestsInput>,
    /// Verkställighet: payments received since the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub paid_since_title: Option<serde_json::Value>,
    /// Fordringsanmälan: date of the decision that opened the skuldsanering, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_date: Option<String>,
    /// Fordringsanmälan: date the decision was published (kungörelse), `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication_date: Option<String>,
    /// Fordringsanmälan: the last day to file (default: publication date plus one month), `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Fordringsanmälan: security for the claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityInput>,
    /// fogd's read-only additions in the answer of `GET /api/v1/cases/{ref}` (see [`READ_ONLY_FIELDS`]): accepted
    /// and ignored, so that a case system can send back what it reads (intake.md §5). Never stored or hashed.
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub state: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub hold_reason: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub issues: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub created_at: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub updated_at: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub file: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub rejection: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub decision: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub events: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`): the ledger after registration.
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub ledger: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`): the målnummer of the enforcement an utslag continued into.
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub enforcement_malnummer: Option<serde::de::IgnoredAny>,
    /// Read-only (see `state`): what closed or decided the case after registration.
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub outcome: Option<serde::de::IgnoredAny>,
}

/// The members fogd adds to a case in the intake form when it answers `GET /api/v1/cases/{ref}`; intake accepts
/// and ignores them ([`CaseInput::state`] and the fields after it).
pub const READ_ONLY_FIELDS: &[&str] = &[
    "state",
    "hold_reason",
    "issues",
    "created_at",
    "updated_at",
    "file",
    "rejection",
    "decision",
    "events",
    "ledger",
    "enforcement_malnummer",
    "outcome",
];

/// A party as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// Identity number text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name as registered, representable in ISO-8859-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code; five digits (`111 22` accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Postal town.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Telephone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Agent only: the agent's own reference (ombudets referens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A debtor as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtorInput {
    /// Identity number text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name, representable in ISO-8859-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// c/o.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_of: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code; in Sweden five digits (`111 22` accepted), `00000` refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Postal town.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166 two-letter country code, `SE` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Telephone number, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A business (näringsidkare); default true for an organisationsnummer, false for a personnummer (set it for
    /// a sole trader).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<bool>,
}

/// A claim as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// Kind name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Amount (string or number, kronor).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub amount: Option<serde_json::Value>,
    /// Due date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// The invoice or contract number the claim comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Basis text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Interest on the claim, if claimed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interest: Option<InterestInput>,
    /// Accrued interest (verkställighet, fordringsanmälan).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub accrued_interest: Option<serde_json::Value>,
    /// Costs (verkställighet, fordringsanmälan).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub costs: Option<serde_json::Value>,
    /// When the claim arose, `YYYY-MM-DD` (default: the due date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arose: Option<String>,
}

/// Interest as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestInput {
    /// `reference_plus` or `fixed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Percent, decimal string (`"8.00"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub rate: Option<serde_json::Value>,
    /// From date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// A title as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleInput {
    /// Kind name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Målnummer of the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Date of the title, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The court's name (required for `dom` and `forlikning` in FOGD-REF-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
}

/// A change as it arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// `belopp`, `aterkallelse` or `uppskov`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// New capital for `belopp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = decimal_schema)]
    pub amount: Option<serde_json::Value>,
    /// Deferral end for `uppskov`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_leaves_out_absent_fields_and_reads_old_rows_with_nulls() {
        let input: CaseInput = serde_json::from_str(
            r#"{"reference":"R-1","kind":"betalningsforelaggande","agent":null,"debtors":[{"name":"A","email":null}],
                "claims":[],"amount":null}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&input).unwrap();
        assert_eq!(
            json,
            r#"{"reference":"R-1","kind":"betalningsforelaggande","debtors":[{"name":"A"}]}"#
        );
        assert_eq!(serde_json::from_str::<CaseInput>(&json).unwrap(), input);

        // A case as stored before absent fields were left out (every key present, `null`s, empty lists).
        let old = r#"{"reference":"R-2","kind":"aterkallelse","intressentkod":"DEV","creditor":null,"agent":null,
            "customer_number":null,"promissory_note":false,"debtors":[],"claims":[],"title":null,
            "debt_restructuring_case":null,"concerns":"R-1","malnummer":null,"amount":null,"claim_index":null,
            "date":"2026-11-01","reason":"betald","change":null}"#;
        let case: Case = serde_json::from_str(old).unwrap();
        assert_eq!(case.concerns.as_deref(), Some("R-1"));
        assert!(!case.promissory_note && case.debtors.is_empty() && case.creditor.is_none());
        let new = serde_json::to_string(&case).unwrap();
        assert_eq!(
            new,
            r#"{"reference":"R-2","kind":"aterkallelse","intressentkod":"DEV","concerns":"R-1","date":"2026-11-01","reason":"betald"}"#
        );
        assert_eq!(serde_json::from_str::<Case>(&new).unwrap(), case);
    }
}
