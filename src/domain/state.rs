//! Case and file states, and the one table of the case transitions that are allowed (ARCHITECTURE.md, state
//! machines). The stored names live here and nowhere else: the store maps these enums to the database directly
//! (`store::types`), and the migrations' `CHECK` constraints list the same names.

/// Declares a fieldless enum stored and serialised by name: `ALL` (declaration order), `as_str`, `parse`,
/// `Display` and `FromStr`. The names are the wire and database form; nothing else spells them.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and serialised) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Reads a stored name.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::state::UnknownName;
            fn from_str(text: &str) -> Result<$name, Self::Err> {
                $name::parse(text).ok_or_else(|| $crate::domain::state::UnknownName {
                    what: stringify!($name),
                    name: text.to_string(),
                })
            }
        }
    };
}
pub(crate) use named_enum;

/// A name that is not one of an enum's stored names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    /// The enum.
    pub what: &'static str,
    /// The name read.
    pub name: String,
}

named_enum! {
    /// Where a case stands: `received → invalid | held | journal → approved → batched → sent → accepted | rejected
    /// → registered → decided | withdrawn | closed`, and after registration (fogd-ref-2.md §5) `disputed`,
    /// `handed_to_court`, `written_off`, `enforcement`, `garnishment`, `closed`; a fordringsanmälan is `lodged`
    /// once accepted, then `decided`. The moves allowed are [`TRANSITIONS`].
    pub enum CaseState {
        /// Arrived, not yet validated.
        Received = "received",
        /// Failed validation; errors kept with the case.
        Invalid = "invalid",
        /// Valid but held for review (warnings, or an operator's hold).
        Held = "held",
        /// Valid, waiting for review in the journal.
        Journal = "journal",
        /// Approved for sending.
        Approved = "approved",
        /// Assigned to a built file.
        Batched = "batched",
        /// Its file was sent.
        Sent = "sent",
        /// Its file was accepted and the case was not rejected.
        Accepted = "accepted",
        /// Rejected by Kronofogden (case-level error); needs correction.
        Rejected = "rejected",
        /// Registered with a målnummer (bekräftelse).
        Registered = "registered",
        /// Decided: an utslag (BFÖ), or a fordringsanmälan's skuldsanering decision (SKSRAPP).
        Decided = "decided",
        /// Withdrawn (återkallelse accepted, or reported R).
        Withdrawn = "withdrawn",
        /// Closed by Kronofogden's slutredovisning; its `Orsak` is kept with the case.
        Closed = "closed",
        /// BFÖ: the debtor disputed (BESTRID); `sista_dag` is the last day to ask for överlämnande.
        Disputed = "disputed",
        /// BFÖ: handed over to a tingsrätt (utslag report D, with `domstol`).
        HandedToCourt = "handed_to_court",
        /// BFÖ: written off (utslag report A, or an avskrivningsbeslut on paper).
        WrittenOff = "written_off",
        /// The utslag went to enforcement: the case continues under its `enforcement_malnummer`.
        Enforcement = "enforcement",
        /// Salary garnishment decided (LUB).
        Garnishment = "garnishment",
        /// Fordringsanmälan accepted by its kvittens: lodged in the skuldsanering, waiting for the decision. A
        /// state of its own rather than `registered`, since no bekräftelse gives it a målnummer.
        Lodged = "lodged",
    }
}

impl CaseState {
    /// States in which a new submission with the same reference replaces the case (intake.md §1): the from-states
    /// of [`Cause::Resubmitted`].
    pub const REPLACEABLE: &'static [CaseState] = &[
        CaseState::Received,
        CaseState::Invalid,
        CaseState::Held,
        CaseState::Journal,
        CaseState::Approved,
    ];
    /// States an intake leaves a new case in.
    pub const INTAKE: &'static [CaseState] =
        &[CaseState::Invalid, CaseState::Held, CaseState::Journal];
    /// Waiting for review (the journal list and the ops page).
    pub const IN_REVIEW: &'static [CaseState] = &[CaseState::Journal, CaseState::Held];
    /// Travelling in a file that has no kvittens yet.
    pub const IN_FILE: &'static [CaseState] = &[CaseState::Batched, CaseState::Sent];
    /// The states whose entries the store indexes by time (the console's chart of cases sent, accepted and rejected
    /// per day): the predicate of the partial index `case_events_charted` (migration 0010), which lists the same.
    pub const CHARTED: &'static [CaseState] =
        &[CaseState::Sent, CaseState::Accepted, CaseState::Rejected];

    /// True while the case may still be replaced by a new submission with the same reference (intake.md §1).
    pub fn is_replaceable(self) -> bool {
        CaseState::REPLACEABLE.contains(&self)
    }
}

named_enum! {
    /// Where a transaction file (with its missiv) stands: `built → sending → sent | outcome_unknown →
    /// receipted_ok | receipted_rejected → superseded`.
    pub enum FileState {
        /// Bytes frozen, löpnummer allocated, send job created.
        Built = "built",
        /// A send attempt is under way.
        Sending = "sending",
        /// The node accepted the message (tx.id known).
        Sent = "sent",
        /// The connection died after the body left; resolved only by reconciliation.
        OutcomeUnknown = "outcome_unknown",
        /// Kvittens status godkänd.
        ReceiptedOk = "receipted_ok",
        /// Kvittens status underkänd.
        ReceiptedRejected = "receipted_rejected",
        /// Replaced by a corrected file.
        Superseded = "superseded",
    }
}

impl FileState {
    /// Still waiting for a kvittens: the löpnummer is taken, and a kvittens that arrives is for one of these.
    pub const AWAITING_KVITTENS: &'static [FileState] = &[
        FileState::Built,
        FileState::Sending,
        FileState::Sent,
        FileState::OutcomeUnknown,
    ];
    /// Not yet known to have reached the node: a later löpnummer of the series waits behind these.
    pub const UNSENT: &'static [FileState] = &[
        FileState::Built,
        FileState::Sending,
        FileState::OutcomeUnknown,
    ];
    /// Due for a (re-)send when their back-off has passed.
    pub const TO_SEND: &'static [FileState] = &[FileState::Built, FileState::OutcomeUnknown];
    /// Done with: the receipt is in and nothing more will happen to the file (retention may clear its bytes).
    pub const SETTLED: [FileState; 2] = [FileState::ReceiptedOk, FileState::Superseded];
    /// An SHS error report for a file in one of these sends it back to `built`.
    pub const ERROR_REPORTABLE: &'static [FileState] = &[
        FileState::Sent,
        FileState::OutcomeUnknown,
        FileState::Sending,
    ];
}

named_enum! {
    /// What an inbound SHS message is, as stored: an SHS management message, a Kronofogden document by its file
    /// name, or not recognised.
    pub enum MessageKind {
        /// An SHS confirm (the node took our message).
        Confirm = "confirm",
        /// An SHS error report about our message.
        Error = "error",
        /// A kvittens.
        Kvittens = "kvittens",
        /// A bekräftelse.
        Bekraftelse = "bekraftelse",
        /// An utslag report.
        Utslag = "utslag",
        /// A message fogd does not know (kept, never dropped).
        Unknown = "unknown",
        /// A bestridande notice (BESTRID, FOGD-REF-2).
        Bestridande = "bestridande",
        /// A skuldsanering återrapportering (SKSRAPP, FOGD-REF-2).
        SksRapport = "sks_rapport",
        /// A löneutmätningsbeslut (LUB, FOGD-REF-2).
        Lub = "lub",
        /// A delredovisning (DELRED, FOGD-REF-2).
        Delred = "delred",
        /// A ny grundavgift (NYTTAVGAR, FOGD-REF-2).
        Nyttavgar = "nyttavgar",
        /// A slutredovisning (FOGD-REF-2).
        Slutredovisning = "slutredovisning",
    }
}

named_enum! {
    /// Why a case changes state: each cause has its rows in [`TRANSITIONS`], and the audit trail records the move.
    pub enum Cause {
        /// A new submission with the same reference and different content (intake.md §1).
        Resubmitted = "resubmitted",
        /// An operator approves the case (journal).
        Approve = "approve",
        /// An operator holds the case for review (journal).
        Hold = "hold",
        /// An operator releases a held case back into the journal (ops console), to be reviewed again.
        Release = "release",
        /// The file builder refused the case (a field it cannot write).
        BuildRefused = "build_refused",
        /// The case was put in a built file.
        Batch = "batch",
        /// Its file was sent.
        FileSent = "file_sent",
        /// The node reported an SHS error for its file: it is sent again.
        SendError = "send_error",
        /// Its file's kvittens rejected the whole file (status underkänd): it is built again.
        FileRejected = "file_rejected",
        /// Its file's kvittens named the case in a case-level error.
        CaseRejected = "case_rejected",
        /// Its file's kvittens accepted it.
        Accepted = "accepted",
        /// A bekräftelse gave it a målnummer.
        Registered = "registered",
        /// An utslag report decided it.
        Decided = "decided",
        /// An accepted återkallelse, or an utslag report of a withdrawal.
        Withdrawn = "withdrawn",
        /// A bestridande notice (BESTRID).
        Disputed = "disputed",
        /// An utslag report D: handed over to a tingsrätt.
        HandedToCourt = "handed_to_court",
        /// An utslag report A, or an avskrivningsbeslut entered from paper.
        WrittenOff = "written_off",
        /// An utslag report U with `vs_malnummer`: the utslag went to enforcement.
        Enforcement = "enforcement",
        /// A löneutmätningsbeslut (LUB).
        Garnishment = "garnishment",
        /// A slutredovisning closed the enforcement.
        Closed = "closed",
        /// A fordringsanmälan's kvittens accepted it.
        Lodged = "lodged",
        /// A later skuldsanering decision (SKSRAPP N, förändrad plan) on a decided fordringsanmälan.
        PlanChanged = "plan_changed",
    }
}

/// One row of the transition table: under `cause`, a case in one of `from` may move to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Why.
    pub cause: Cause,
    /// The states the move starts from.
    pub from: &'static [CaseState],
    /// The state it ends in.
    pub to: CaseState,
}

const fn row(cause: Cause, from: &'static [CaseState], to: CaseState) -> Transition {
    Transition { cause, from, to }
}

use CaseState as S;

/// Every case move fogd makes, and no other (the store refuses a move that is not a row here). FOGD-REF-2's states
/// are a variant of [`CaseState`] and a row each here (fogd-ref-2.md §5).
pub const TRANSITIONS: &[Transition] = &[
    row(Cause::Resubmitted, CaseState::REPLACEABLE, S::Invalid),
    row(Cause::Resubmitted, CaseState::REPLACEABLE, S::Held),
    row(Cause::Resubmitted, CaseState::REPLACEABLE, S::Journal),
    row(Cause::Approve, &[S::Journal, S::Held], S::Approved),
    row(Cause::Hold, &[S::Journal, S::Approved, S::Held], S::Held),
    row(Cause::Release, &[S::Held], S::Journal),
    row(Cause::BuildRefused, &[S::Approved], S::Invalid),
    row(Cause::Batch, &[S::Approved], S::Batched),
    row(Cause::FileSent, &[S::Batched], S::Sent),
    row(Cause::SendError, &[S::Sent], S::Batched),
    row(Cause::FileRejected, CaseState::IN_FILE, S::Approved),
    row(Cause::CaseRejected, CaseState::IN_FILE, S::Rejected),
    row(Cause::Accepted, CaseState::IN_FILE, S::Accepted),
    row(
        Cause::Registered,
        &[S::Batched, S::Sent, S::Accepted],
        S::Registered,
    ),
    row(
        Cause::Decided,
        &[S::Sent, S::Accepted, S::Registered, S::Lodged],
        S::Decided,
    ),
    row(
        Cause::Withdrawn,
        &[
            S::Sent,
            S::Accepted,
            S::Registered,
            S::Disputed,
            S::Enforcement,
            S::Garnishment,
            S::Lodged,
        ],
        S::Withdrawn,
    ),
    // FOGD-REF-2 §5: the case after registration.
    row(Cause::Disputed, &[S::Registered], S::Disputed),
    row(
        Cause::HandedToCourt,
        &[S::Sent, S::Accepted, S::Registered, S::Disputed],
        S::HandedToCourt,
    ),
    row(
        Cause::WrittenOff,
        &[S::Sent, S::Accepted, S::Registered, S::Disputed],
        S::WrittenOff,
    ),
    row(Cause::Enforcement, &[S::Decided], S::Enforcement),
    // A LUB for a verkställighet case (registered) or an utslag gone to enforcement; from `decided` when the LUB
    // overtakes the utslag report that says the utslag went to enforcement (its målnummer is then taken from the
    // LUB).
    row(
        Cause::Garnishment,
        &[S::Registered, S::Decided, S::Enforcement],
        S::Garnishment,
    ),
    // A slutredovisning may come without a LUB before it (paid at once, no assets), or overtake the utslag report.
    row(
        Cause::Closed,
        &[S::Registered, S::Decided, S::Enforcement, S::Garnishment],
        S::Closed,
    ),
    row(Cause::Lodged, &[S::Accepted], S::Lodged),
    row(Cause::PlanChanged, &[S::Decided], S::Decided),
];

impl CaseState {
    /// Open states after registration in which Kronofogden's later messages (FOGD-REF-2 §3) find a case.
    pub const AFTER_REGISTRATION: &'static [CaseState] = &[
        CaseState::Registered,
        CaseState::Disputed,
        CaseState::Decided,
        CaseState::Enforcement,
        CaseState::Garnishment,
        CaseState::Lodged,
    ];
}

impl Transition {
    /// The row of `cause` that ends in `to`, if there is one.
    pub fn find(cause: Cause, to: CaseState) -> Option<&'static Transition> {
        TRANSITIONS.iter().find(|t| t.cause == cause && t.to == to)
    }

    /// True when some cause moves a case from `from` to `to`.
    pub fn allowed(from: CaseState, to: CaseState) -> bool {
        TRANSITIONS
            .iter()
            .any(|t| t.to == to && t.from.contains(&from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(*s));
            assert_eq!(s.as_str().parse::<CaseState>(), Ok(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        for s in FileState::ALL {
            assert_eq!(FileState::parse(s.as_str()), Some(*s));
        }
        assert!(CaseState::parse("Journal").is_none());
        assert!("nope".parse::<FileState>().is_err());
    }

    #[test]
    fn one_row_per_cause_and_target() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            assert!(!a.from.is_empty());
            for b in &TRANSITIONS[i + 1..] {
                assert!(!(a.cause == b.cause && a.to == b.to), "{a:?} twice");
            }
        }
        assert!(Transition::allowed(S::Journal, S::Approved));
        assert!(!Transition::allowed(S::Sent, S::Journal));
    }
}
