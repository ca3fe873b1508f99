//! The vocabulary between layouts and the domain: every named value a layout field can be `source`d from.
//!
//! This is the one place where layout names (`case.reference`, `debtor.id`, `control.total`, …) meet domain
//! values. The builder asks a [`Source`] for its value in a context (file, case, debtor, claim, text line, inbound
//! document entry); the reader sets it back. Adding a domain value to the files means adding it here.

use super::layout::Scope;

macro_rules! sources {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $cat:ident; )*) => {
        /// A named domain value that fills a layout field.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Source {
            $( $(#[$doc])* $variant, )*
        }

        impl Source {
            /// Every source, in declaration order.
            pub const ALL: &'static [Source] = &[$(Source::$variant,)*];

            /// The name used in layout files.
            pub fn as_str(self) -> &'static str {
                match self { $(Source::$variant => $name,)* }
            }

            /// Looks a layout name up.
            pub fn parse(name: &str) -> Option<Source> {
                match name { $($name => Some(Source::$variant),)* _ => None }
            }

            /// Where the value lives, which decides the scopes of records that may use it.
            pub fn category(self) -> Category {
                match self { $(Source::$variant => Category::$cat,)* }
            }
        }
    };
}

/// Where a source's value comes from; decides in which record scopes it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// File facts: usable in any record.
    File,
    /// File-level controls: head and tail (and the missiv).
    FileControl,
    /// Case values: in case, debtor, claim and text records.
    Case,
    /// Per-case controls: in case records.
    CaseControl,
    /// Debtor values: in debtor and further-debtor records.
    Debtor,
    /// Claim values: in claim and claim-text records.
    Claim,
    /// Claim text line values: in claim-text records.
    Line,
    /// Inbound document head values: head and tail.
    Doc,
    /// Inbound document entry values: entry records.
    Entry,
}

sources! {
    /// The ingivare's intressentkod.
    FileIntressentkod = "file.intressentkod", File;
    /// The file's löpnummer.
    FileLopnummer = "file.lopnummer", File;
    /// When the file was created (D fields take the date, T fields the time).
    FileCreated = "file.created", File;
    /// Test or production (`test`, `production`).
    FileStatus = "file.status", File;
    /// The layout's edition (`FOGD-REF-1`).
    FileEdition = "file.edition", File;
    /// The transaction layout's filtyp (used by the missiv).
    FileFiltyp = "file.filtyp", File;
    /// The transaction file's name (used by the missiv).
    FileName = "file.name", File;
    /// Contact person (missiv).
    FileContactName = "file.contact_name", File;
    /// Contact phone (missiv).
    FileContactPhone = "file.contact_phone", File;
    /// Count of all records incl. head and tail.
    ControlRecordCount = "control.record_count", FileControl;
    /// Count of cases in the file.
    ControlCaseCount = "control.case_count", FileControl;
    /// TOT-BEL: the sum of the layout's `total` fields.
    ControlTotal = "control.total", FileControl;
    /// Count of the case's debtors.
    ControlDebtorCount = "control.debtor_count", CaseControl;
    /// Count of the case's claims.
    ControlClaimCount = "control.claim_count", CaseControl;
    /// Handlingsref.
    CaseReference = "case.reference", Case;
    /// The creditor's own id of the debtor.
    CaseCustomerNumber = "case.customer_number", Case;
    /// Löpande skuldebrev (`yes`, `no`).
    CasePromissoryNote = "case.promissory_note", Case;
    /// Follow-ups: målnummer of the case concerned.
    CaseMalnummer = "case.malnummer", Case;
    /// Fordringsanmälan: the skuldsanering case.
    CaseDebtRestructuringCase = "case.debt_restructuring_case", Case;
    /// Nedsättning: the reduction amount.
    CaseAmount = "case.amount", Case;
    /// Nedsättning: the claim index (0 = the claim as a whole).
    CaseClaimIndex = "case.claim_index", Case;
    /// Follow-ups: the date.
    CaseDate = "case.date", Case;
    /// Follow-ups: the reason (`betalning`, `kreditering`, `betald`, `avbetalningsplan`, `annan`).
    CaseReason = "case.reason", Case;
    /// Begäran: what is requested (`court` överlämnande, `enforcement` verkställighet).
    CaseRequest = "case.request", Case;
    /// Ändring: kind (`belopp`, `aterkallelse`, `uppskov`).
    ChangeKind = "change.kind", Case;
    /// Ändring: new remaining capital.
    ChangeAmount = "change.amount", Case;
    /// Ändring: deferral end.
    ChangeUntil = "change.until", Case;
    /// Verkställighet: title kind (`utslag`, `dom`, `forlikning`, `skiljedom`, `annan`).
    TitleKind = "title.kind", Case;
    /// Verkställighet: målnummer of the title.
    TitleReference = "title.reference", Case;
    /// Verkställighet: date of the title.
    TitleDate = "title.date", Case;
    /// Creditor id (12 digits).
    CreditorId = "creditor.id", Case;
    /// Creditor name.
    CreditorName = "creditor.name", Case;
    /// Agent id (12 digits; zeros when none).
    AgentId = "agent.id", Case;
    /// Agent name.
    AgentName = "agent.name", Case;
    /// Creditor street address (FOGD-REF-2).
    CreditorStreet = "creditor.street", Case;
    /// Creditor postal code.
    CreditorPostalCode = "creditor.postal_code", Case;
    /// Creditor postal town.
    CreditorCity = "creditor.city", Case;
    /// Creditor phone.
    CreditorPhone = "creditor.phone", Case;
    /// Creditor e-mail.
    CreditorEmail = "creditor.email", Case;
    /// Agent street address (FOGD-REF-2).
    AgentStreet = "agent.street", Case;
    /// Agent postal code.
    AgentPostalCode = "agent.postal_code", Case;
    /// Agent postal town.
    AgentCity = "agent.city", Case;
    /// Agent phone.
    AgentPhone = "agent.phone", Case;
    /// Agent e-mail.
    AgentEmail = "agent.email", Case;
    /// The agent's own reference (ombudets referens).
    AgentReference = "agent.reference", Case;
    /// Original creditor of a bought claim: id (12 digits).
    OriginalCreditorId = "original_creditor.id", Case;
    /// Original creditor's name.
    OriginalCreditorName = "original_creditor.name", Case;
    /// Date the claim was transferred.
    OriginalCreditorTransferDate = "original_creditor.transfer_date", Case;
    /// Request: enforce the utslag at once (`yes`, `no`).
    RequestsEnforcement = "requests.enforcement", Case;
    /// Request: hand over to tingsrätt if disputed (`yes`, `no`).
    RequestsCourtIfDisputed = "requests.court_if_disputed", Case;
    /// Verkställighet: the court of a dom or förlikning.
    TitleCourt = "title.court", Case;
    /// Verkställighet: payments received since the title.
    CasePaidSinceTitle = "case.paid_since_title", Case;
    /// Fordringsanmälan: date of the decision opening the skuldsanering.
    CaseDecisionDate = "case.decision_date", Case;
    /// Fordringsanmälan: date the decision was published.
    CasePublicationDate = "case.publication_date", Case;
    /// Fordringsanmälan: the last day to file, when given.
    CaseDeadline = "case.deadline", Case;
    /// Fordringsanmälan: kind of security (`none`, `borgen`, `pant`; blank when not stated).
    SecurityKind = "security.kind", Case;
    /// Fordringsanmälan: what the security is.
    SecurityText = "security.text", Case;
    /// The first debtor's id, in a case record (layouts without debtor records).
    FirstDebtorId = "first_debtor.id", Case;
    /// The first debtor's name, in a case record.
    FirstDebtorName = "first_debtor.name", Case;
    /// Debtor index 1..
    DebtorIndex = "debtor.index", Debtor;
    /// Kind of debtor id (`personnummer`, `samordningsnummer`, `organisationsnummer`, `none`).
    DebtorIdKind = "debtor.id_kind", Debtor;
    /// Debtor id (12 digits; zeros when none).
    DebtorId = "debtor.id", Debtor;
    /// Debtor name.
    DebtorName = "debtor.name", Debtor;
    /// c/o.
    DebtorCareOf = "debtor.care_of", Debtor;
    /// Street address.
    DebtorStreet = "debtor.street", Debtor;
    /// Postal code.
    DebtorPostalCode = "debtor.postal_code", Debtor;
    /// City.
    DebtorCity = "debtor.city", Debtor;
    /// Country (ISO 3166 alpha-2).
    DebtorCountry = "debtor.country", Debtor;
    /// A business (näringsidkare) (`yes`, `no`).
    DebtorBusiness = "debtor.business", Debtor;
    /// Debtor phone.
    DebtorPhone = "debtor.phone", Debtor;
    /// Debtor e-mail.
    DebtorEmail = "debtor.email", Debtor;
    /// Claim index 1..
    ClaimIndex = "claim.index", Claim;
    /// Claim kind (`kapital`, `upplupen_ranta`, …).
    ClaimKind = "claim.kind", Claim;
    /// Claim amount.
    ClaimAmount = "claim.amount", Claim;
    /// Due date.
    ClaimDueDate = "claim.due_date", Claim;
    /// Invoice number.
    ClaimInvoiceNumber = "claim.invoice_number", Claim;
    /// Interest kind (`reference_plus`, `fixed`; blank when none).
    ClaimInterestKind = "claim.interest_kind", Claim;
    /// Interest rate in hundredths of a percent.
    ClaimInterestRate = "claim.interest_rate", Claim;
    /// Interest from.
    ClaimInterestFrom = "claim.interest_from", Claim;
    /// Accrued interest (verkställighet, fordringsanmälan).
    ClaimAccruedInterest = "claim.accrued_interest", Claim;
    /// Costs (verkställighet, fordringsanmälan).
    ClaimCosts = "claim.costs", Claim;
    /// When the claim arose (uppkomstdatum), where given.
    ClaimArose = "claim.arose", Claim;
    /// The day interest is computed to: the case's decision date, for a claim with interest (fordringsanmälan).
    ClaimInterestTo = "claim.interest_to", Claim;
    /// Text line index 1..
    LineIndex = "line.index", Line;
    /// Text line (the claim's basis, wrapped at word boundaries).
    LineText = "line.text", Line;
    /// Inbound: the receipted file's filtyp.
    DocAvserFiltyp = "doc.avser_filtyp", Doc;
    /// Inbound: the receipted file's löpnummer.
    DocAvserLopnummer = "doc.avser_lopnummer", Doc;
    /// Inbound: status (kvittens `G`/`U`).
    DocStatus = "doc.status", Doc;
    /// Inbound: the document's filtyp where it varies (bekräftelse `ANSBEKR`/`EMALUT`).
    DocFiltyp = "doc.filtyp", Doc;
    /// Inbound: date.
    DocDate = "doc.date", Doc;
    /// Inbound: time.
    DocTime = "doc.time", Doc;
    /// Kvittens: cases accepted.
    DocAcceptedCount = "doc.accepted_count", Doc;
    /// Kvittens: cases rejected.
    DocRejectedCount = "doc.rejected_count", Doc;
    /// Entry: level (`F`, `H`).
    EntryNiva = "entry.niva", Entry;
    /// Entry: the case's reference (handlingsref).
    EntryReference = "entry.handlingsref", Entry;
    /// Entry: felkod.
    EntryFelkod = "entry.felkod", Entry;
    /// Entry: feltext.
    EntryFeltext = "entry.feltext", Entry;
    /// Entry: målnummer.
    EntryMalnummer = "entry.malnummer", Entry;
    /// Entry: date (registrerad, beslutsdatum).
    EntryDate = "entry.date", Entry;
    /// Entry: debtor number (00 = whole case).
    EntrySvarandeNr = "entry.svarande_nr", Entry;
    /// Entry: decision kind (`U`, `A`, `D`, `R`).
    EntryDecision = "entry.decision", Entry;
    /// Entry: amount (fastställt belopp).
    EntryAmount = "entry.amount", Entry;
    /// Entry: reference to the utslag document.
    EntryUtslagRef = "entry.utslag_ref", Entry;
    /// Entry: a last day (bestridande: `sista_dag`, the last day to ask for överlämnande).
    EntryDeadline = "entry.deadline", Entry;
    /// Entry: the tingsrätt a case was handed to (utslag report, beslutstyp D).
    EntryCourt = "entry.court", Entry;
    /// Entry: the målnummer of the enforcement an utslag continued into (`vs_malnummer`).
    EntryEnforcementMalnummer = "entry.enforcement_malnummer", Entry;
    /// Entry: Kronofogden's ärendenummer of a skuldsanering.
    EntryDebtRestructuringCase = "entry.debt_restructuring_case", Entry;
    /// Entry: length of a payment plan in months.
    EntryPlanMonths = "entry.plan_months", Entry;
    /// Entry: the share of a claim to be paid, per mille.
    EntryDividendPerMille = "entry.dividend_per_mille", Entry;
    /// Entry: amount garnished per month (LUB `BeloppPerManad`).
    EntryAmountPerMonth = "entry.amount_per_month", Entry;
    /// Entry: first day something applies (LUB `FranOchMed`).
    EntryFrom = "entry.from", Entry;
    /// Entry: first day of a reporting period.
    EntryPeriodFrom = "entry.period_from", Entry;
    /// Entry: last day of a reporting period.
    EntryPeriodTo = "entry.period_to", Entry;
    /// Entry: result of the investigation (DELRED `Utredning`).
    EntryInvestigation = "entry.investigation", Entry;
    /// Entry: paid out to the sökande (DELRED `Redovisat`).
    EntryPaidOut = "entry.paid_out", Entry;
    /// Entry: fees deducted (DELRED `AvdragnaAvgifter`).
    EntryFeesDeducted = "entry.fees_deducted", Entry;
    /// Entry: still owed (`Aterstar`).
    EntryRemaining = "entry.remaining", Entry;
    /// Entry: the day a fee is charged (NYTTAVGAR `Debiteras`).
    EntryChargeDate = "entry.charge_date", Entry;
    /// Entry: why a case closed (slutredovisning `Orsak`).
    EntryReason = "entry.reason", Entry;
    /// Entry: paid out in total (slutredovisning `TotaltRedovisat`).
    EntryTotalPaidOut = "entry.total_paid_out", Entry;
}

impl Category {
    /// True when a value of this category may fill a field of a record with `scope`.
    pub fn allowed_in(self, scope: Scope) -> bool {
        use Scope::*;
        match self {
            Category::File => true,
            Category::FileControl | Category::Doc => matches!(scope, FileHead | FileTail),
            Category::Case => matches!(
                scope,
                Case | Debtor | FurtherDebtor | Claim | ClaimText | ClaimTextFirst | ClaimTextNext
            ),
            Category::CaseControl => scope == Case,
            Category::Debtor => matches!(scope, Debtor | FurtherDebtor),
            Category::Claim => matches!(scope, Claim | ClaimText | ClaimTextFirst | ClaimTextNext),
            Category::Line => matches!(scope, ClaimText | ClaimTextFirst | ClaimTextNext),
            Category::Entry => scope == Entry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in Source::ALL {
            assert!(seen.insert(s.as_str()), "duplicate {}", s.as_str());
            assert_eq!(Source::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Source::parse("case.nonsense"), None);
    }
}
