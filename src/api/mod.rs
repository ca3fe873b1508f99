//! api (see lib.rs module map).
