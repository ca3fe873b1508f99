//! Masking of personal data for logs: personal numbers become `19121212-****`, names are shortened.

/// Masks an identity number for logs: keeps the date part (first 8 digits of a 12-digit number, or the first 6 of a
/// 10-digit one) and hides the last four digits. Anything that does not look like a number keeps its first two
/// characters only.
pub fn mask_id(id: &str) -> String {
    let digits: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
    match digits.len() {
        12 => format!("{}-****", &digits[..8]),
        10 => format!("{}-****", &digits[..6]),
        _ => {
            let head: String = id.chars().take(2).collect();
            format!("{head}***")
        }
    }
}

/// Masks a person's name for logs: the first letter of each word, then `*`.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .map(|w| {
            let first: String = w.chars().take(1).collect();
            format!("{first}*")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_twelve_and_ten_digit_numbers() {
        assert_eq!(mask_id("19121212-1212"), "19121212-****");
        assert_eq!(mask_id("121212-1212"), "121212-****");
        assert_eq!(mask_id("x"), "x***");
        assert_eq!(mask_name("Tolvan Tolvansson"), "T* T*");
    }
}
