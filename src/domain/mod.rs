//! Pure domain types and rules: cases, debtors, claims, amounts (öre, `i64`), identity numbers, text rules, states,
//! intake validation (intake.md), and interest (fogd-ref-2.md §4, [`interest`]). No I/O.

pub mod amount;
pub mod case;
pub mod ids;
pub mod intake;
pub mod intake_form;
pub mod interest;
pub mod ledger;
pub mod reference;
pub mod state;
pub mod text;
pub mod time;
pub mod validate;

pub use amount::Amount;
pub use case::{Case, CaseInput, CaseKind, Claim, ClaimKind, Debtor};
pub use ids::{IdKind, IdNumber};
pub use state::{CaseState, FileState};
