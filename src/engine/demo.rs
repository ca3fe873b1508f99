//! `fogd demo` (filled in below).
