//! Validation of one debtor (intake.md §3): identity number or full postal address.

use super::*;

impl Validator<'_> {
    pub(super) fn debtor(&mut self, path: impl Display + Copy, d: &DebtorInput) -> Option<Debtor> {
        let mut ok = true;
        let idp = Field(&path, "id");
        let id = match d.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => {
                let id = self.id(idp, raw);
                ok &= id.is_some();
                id
            }
            None => None,
        };
        let name = self.required_text(Field(&path, "name"), d.name.as_deref(), "the debtor's name");
        ok &= name.is_some();
        let care_of = self.text(Field(&path, "care_of"), d.care_of.as_deref());
        let street = self.text(Field(&path, "street"), d.street.as_deref());
        let city = self.text(Field(&path, "city"), d.city.as_deref());
        let country_raw = d
            .country
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("SE");
        let country = country_raw.to_ascii_uppercase();
        if !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
            self.err(
                Field(&path, "country"),
                "country.format",
                Some(country_raw),
                format!("{country_raw:?} is not an ISO 3166 two-letter country code"),
            );
            ok = false;
        }
        let pcp = Field(&path, "postal_code");
        let mut postal_code = self.text(pcp, d.postal_code.as_deref());
        if country == "SE" {
            if let Some(pc) = &postal_code {
                match crate::domain::ids::swedish_postal_code(pc) {
                    Ok(once) => postal_code = Some(once),
                    Err(e) => {
                        self.err(pcp, e.rule, Some(pc), e.message);
                        ok = false;
                    }
                }
            }
        }
        if id.is_none() && d.id.as_deref().is_none_or(|s| s.trim().is_empty()) {
            for (field, v) in [
                ("street", &street),
                ("postal_code", &postal_code),
                ("city", &city),
            ] {
                if v.is_none() && ok {
                    self.err(
                        Field(&path, field),
                        "debtor.address_required",
                        None,
                        "a debtor without an identity number needs a full postal address".into(),
                    );
                }
            }
            ok &= street.is_some() && postal_code.is_some() && city.is_some();
        }
        let phone = self.text(Field(&path, "phone"), d.phone.as_deref());
        let email = self.text(Field(&path, "email"), d.email.as_deref());
        if !ok {
            return None;
        }
        let business = d
            .business
            .unwrap_or_else(|| Debtor::default_business(id.as_ref()));
        Some(Debtor {
            id,
            name: name?,
            care_of,
            street,
            postal_code,
            city,
            country,
            phone,
            email,
            business,
        })
    }
}
