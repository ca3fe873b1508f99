//! shs (see lib.rs module map).
