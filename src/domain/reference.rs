//! The characters of a case reference (`reference`, the agency's own ärendenummer; intake.md §1).
//!
//! Reading of a gap in intake.md (which gives only the length, 1–20): a reference holds ASCII letters `A–Z a–z`,
//! digits `0–9` and the separators `-` `_` `/` `.` `:`, and starts with a letter or a digit. That covers the
//! case numbers collection systems print (`A-2026-000123`, `2026/0042`, `INK.26.17`, `K:4711`), is
//! representable in every file layout (ISO-8859-1, handlingsref), is safe in a URL path segment once encoded, and
//! can never start a spreadsheet formula (`=`, `+`, `-`, `@`) in an export. Anything else makes the case
//! `invalid` with rule `reference.characters`. One place to change: [`SEPARATORS`] and [`character_problem`].

/// Separators allowed inside a reference (not as its first character).
pub const SEPARATORS: &[char] = &['-', '_', '/', '.', ':'];

/// Why `reference` breaks the character rule, if it does (a sentence for the operator).
pub fn character_problem(reference: &str) -> Option<String> {
    let mut chars = reference.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphanumeric() {
        return Some(format!(
            "reference must start with a letter A–Z or a digit, not {first:?}"
        ));
    }
    let bad = reference
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || SEPARATORS.contains(c)))?;
    Some(format!(
        "reference holds {bad:?}; allowed are A–Z, a–z, 0–9 and {}",
        SEPARATORS
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_case_numbers_pass_and_formulas_do_not() {
        for ok in [
            "A-2026-000123",
            "2026/0042",
            "INK.26.17",
            "K:4711",
            "D_BFO_1",
            "x",
        ] {
            assert_eq!(character_problem(ok), None, "{ok}");
        }
        for bad in [
            "+cmd|' /C calc'!A0",
            "=HYPERLINK(\"x\")",
            "-1",
            "@A1",
            "A 1",
            "A\u{0}1",
            "Å-1",
            "A;1",
            "\tA",
        ] {
            assert!(character_problem(bad).is_some(), "{bad:?}");
        }
    }
}
