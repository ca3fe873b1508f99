//! engine (see lib.rs module map).
