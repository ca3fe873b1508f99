//! Case and file states (ARCHITECTURE.md, state machines).

use serde::{Deserialize, Serialize};

/// Where a case stands.
///
/// `received → invalid | held | journal → approved → batched → sent → accepted | rejected → registered → decided |
/// withdrawn | closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Arrived, not yet validated.
    Received,
    /// Failed validation; errors kept with the case.
    Invalid,
    /// Valid but held for review (warnings, or an operator's hold).
    Held,
    /// Valid, waiting for review in the journal.
    Journal,
    /// Approved for sending.
    Approved,
    /// Assigned to a built file.
    Batched,
    /// Its file was sent.
    Sent,
    /// Its file was accepted and the case was not rejected.
    Accepted,
    /// Rejected by Kronofogden (case-level error); needs correction.
    Rejected,
    /// Registered with a målnummer (bekräftelse).
    Registered,
    /// Decided (utslag, avskrivning, domstol).
    Decided,
    /// Withdrawn.
    Withdrawn,
    /// Closed.
    Closed,
}

impl CaseState {
    /// Every state, in lifecycle order.
    pub const ALL: [CaseState; 13] = [
        CaseState::Received,
        CaseState::Invalid,
        CaseState::Held,
        CaseState::Journal,
        CaseState::Approved,
        CaseState::Batched,
        CaseState::Sent,
        CaseState::Accepted,
        CaseState::Rejected,
        CaseState::Registered,
        CaseState::Decided,
        CaseState::Withdrawn,
        CaseState::Closed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Invalid => "invalid",
            CaseState::Held => "held",
            CaseState::Journal => "journal",
            CaseState::Approved => "approved",
            CaseState::Batched => "batched",
            CaseState::Sent => "sent",
            CaseState::Accepted => "accepted",
            CaseState::Rejected => "rejected",
            CaseState::Registered => "registered",
            CaseState::Decided => "decided",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Closed => "closed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True while the case may still be replaced by a new submission with the same reference (intake.md §1).
    pub fn is_replaceable(self) -> bool {
        matches!(
            self,
            CaseState::Received
                | CaseState::Invalid
                | CaseState::Held
                | CaseState::Journal
                | CaseState::Approved
        )
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a transaction file (with its missiv) stands.
///
/// `built → sending → sent | outcome_unknown → receipted_ok | receipted_rejected → superseded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Bytes frozen, löpnummer allocated, send job created.
    Built,
    /// A send attempt is under way.
    Sending,
    /// The node accepted the message (tx.id known).
    Sent,
    /// The connection died after the body left; resolved only by reconciliation.
    OutcomeUnknown,
    /// Kvittens status G.
    ReceiptedOk,
    /// Kvittens status U.
    ReceiptedRejected,
    /// Replaced by a corrected file.
    Superseded,
}

impl FileState {
    /// Every state.
    pub const ALL: [FileState; 7] = [
        FileState::Built,
        FileState::Sending,
        FileState::Sent,
        FileState::OutcomeUnknown,
        FileState::ReceiptedOk,
        FileState::ReceiptedRejected,
        FileState::Superseded,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Built => "built",
            FileState::Sending => "sending",
            FileState::Sent => "sent",
            FileState::OutcomeUnknown => "outcome_unknown",
            FileState::ReceiptedOk => "receipted_ok",
            FileState::ReceiptedRejected => "receipted_rejected",
            FileState::Superseded => "superseded",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<FileState> {
        FileState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for FileState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
