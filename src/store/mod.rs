//! store (see lib.rs module map).
