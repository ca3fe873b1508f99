//! Development certificates (rcgen) and certificate loading helpers. Filled in by the SHS work.
