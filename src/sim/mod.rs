//! sim (see lib.rs module map).
