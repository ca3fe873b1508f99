//! formats (see lib.rs module map).
