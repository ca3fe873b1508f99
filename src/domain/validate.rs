//! Intake validation (intake.md §3). Filled in by the intake work.
