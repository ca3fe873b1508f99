//! Validation of one claim (intake.md §3): amounts, dates, interest, limitation (the cost rules are per case:
//! `costs`).

use super::*;

impl Validator<'_> {
    pub(super) fn claim(
        &mut self,
        path: impl Display + Copy,
        c: &ClaimInput,
        kind: CaseKind,
        kind_known: bool,
        limitation_years: u32,
    ) -> Option<Claim> {
        let mut ok = true;
        let kp = Field(&path, "kind");
        let ckind = match c.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                self.required(kp, "the claim kind");
                None
            }
            Some(k) => {
                let parsed = ClaimKind::parse(k);
                if parsed.is_none() {
                    self.err(
                        kp,
                        "claim.kind",
                        Some(k),
                        format!(
                            "unknown claim kind {k:?}; expected one of {}",
                            ClaimKind::ALL.map(ClaimKind::as_str).join(", ")
                        ),
                    );
                }
                parsed
            }
        };
        ok &= ckind.is_some();
        let ap = Field(&path, "amount");
        let amount = self.amount(ap, c.amount.as_ref());
        match amount {
            None if c
                .amount
                .as_ref()
                .is_none_or(|v| v.is_null() || json_text(v).trim().is_empty()) =>
            {
                self.required(ap, "the claim amount");
                ok = false;
            }
            None => ok = false,
            Some(a) if a.0 <= 0 => {
                self.err(
                    ap,
                    "claim.amount_positive",
                    Some(&a.to_string()),
                    format!("the amount must be more than 0, got {a}"),
                );
                ok = false;
            }
            Some(_) => {}
        }
        let dp = Field(&path, "due_date");
        let due_date = self.date(dp, c.due_date.as_deref());
        if c.due_date.as_deref().is_some_and(|s| !s.trim().is_empty()) && due_date.is_none() {
            ok = false;
        }
        let arp = Field(&path, "arose");
        let arose = self.date(arp, c.arose.as_deref());
        if c.arose.as_deref().is_some_and(|s| !s.trim().is_empty()) && arose.is_none() {
            ok = false;
        }
        if arose.is_some_and(|d| d > self.ctx.today) {
            self.not_future(arp, arose, "date.future", "the date the claim arose");
            ok = false;
        }
        let invoice_number = self.text(Field(&path, "invoice_number"), c.invoice_number.as_deref());
        let bp = Field(&path, "basis");
        let basis = self.text(bp, c.basis.as_deref());
        if c.basis.as_deref().is_some_and(|s| !s.trim().is_empty()) && basis.is_none() {
            ok = false;
        }
        if ckind == Some(ClaimKind::Kapital) {
            if c.due_date.as_deref().is_none_or(|s| s.trim().is_empty()) {
                self.required(dp, "a kapital claim's due date");
                ok = false;
            }
            if c.basis.as_deref().is_none_or(|s| s.trim().is_empty()) {
                self.required(bp, "a kapital claim's basis (grund för fordran)");
                ok = false;
            }
        }
        if kind_known && kind == CaseKind::Betalningsforelaggande {
            if let Some(d) = due_date {
                if d > self.ctx.today {
                    self.err(
                        dp,
                        "claim.due_date_future",
                        Some(&d.to_string()),
                        format!(
                            "the due date {d} lies in the future (today is {})",
                            self.ctx.today
                        ),
                    );
                    ok = false;
                }
            }
        }
        // Interest.
        let mut interest = None;
        if let Some(i) = &c.interest {
            let ip = Field(&path, "interest");
            let intressentkod = match i.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => {
                    self.required(Field(&ip, "kind"), "the interest kind");
                    None
                }
                Some("reference_plus") => Some(InterestKind::ReferencePlus),
                Some("fixed") => Some(InterestKind::Fixed),
                Some(other) => {
                    self.err(
                        Field(&ip, "kind"),
                        "interest.kind",
                        Some(other),
                        format!(
                            "unknown interest kind {other:?}; expected reference_plus or fixed"
                        ),
                    );
                    None
                }
            };
            let rp = Field(&ip, "rate");
            let rate = match i.rate.as_ref().filter(|v| !v.is_null()) {
                None => {
                    self.required(rp, "the interest rate");
                    None
                }
                Some(v) => {
                    let raw = json_text(v);
                    match Amount::parse_kronor(&raw) {
                        Ok(a) if (0..=5000).contains(&a.0) => u32::try_from(a.0).ok(),
                        Ok(_) => {
                            self.err(
                                rp,
                                "interest.rate_range",
                                Some(&raw),
                                format!("interest rate {raw} % is outside 0–50 %"),
                            );
                            None
                        }
                        Err(_) => {
                            self.err(
                                rp,
                                "interest.rate_format",
                                Some(&raw),
                                format!("{raw:?} is not a percentage with at most two decimals"),
                            );
                            None
                        }
                    }
                }
            };
            let fp = Field(&ip, "from");
            let from = self.required_date(fp, i.from.as_deref(), "the date interest runs from");
            if let (Some(f), Some(d)) = (from, due_date) {
                if f < d {
                    self.err(
                        fp,
                        "interest.from_before_due",
                        Some(&f.to_string()),
                        format!("interest runs from {f}, before the due date {d}"),
                    );
                }
            }
            match (intressentkod, rate, from) {
                (Some(kind), Some(rate_bp), Some(from)) if due_date.is_none_or(|d| from >= d) => {
                    interest = Some(Interest {
                        kind,
                        rate_bp,
                        from,
                    });
                }
                _ => ok = false,
            }
        }
        // Title/decision amounts: verkställighet and fordringsanmälan only.
        let extra_allowed = matches!(kind, CaseKind::Verkstallighet | CaseKind::Fordringsanmalan);
        let mut extra =
            |v: &mut Self, field: &str, value: Option<&serde_json::Value>| -> Option<Amount> {
                let p = Field(&path, field);
                let present = value.is_some_and(|x| !x.is_null());
                if kind_known && present && !extra_allowed {
                    v.not_allowed(p, value.map(json_text).as_deref(), kind);
                }
                let a = v.amount(p, value);
                if let Some(a) = a {
                    if a.0 < 0 {
                        v.err(
                            p,
                            "amount.positive",
                            Some(&a.to_string()),
                            format!("{field} must not be negative"),
                        );
                        ok = false;
                    }
                } else if present && value.is_some_and(|x| !json_text(x).trim().is_empty()) {
                    ok = false;
                }
                a
            };
        let accrued_interest = extra(self, "accrued_interest", c.accrued_interest.as_ref());
        let costs = extra(self, "costs", c.costs.as_ref());

        // Limitation, counted from when the claim arose (`arose`, else the due date; intake.md §3). The cost rules
        // are per case: `costs`.
        if kind_known
            && matches!(
                kind,
                CaseKind::Betalningsforelaggande | CaseKind::Fordringsanmalan
            )
        {
            let from = match (arose, due_date) {
                (Some(a), _) => Some((a, "arose", Field(&path, "arose"))),
                (None, Some(d)) => Some((d, "due date", dp)),
                (None, None) => None,
            };
            if let Some((d, what, p)) = from {
                let years = limitation_years;
                let limit = self
                    .ctx
                    .today
                    .checked_sub_months(Months::new(years.saturating_mul(12)));
                if limit.is_some_and(|l| d < l) {
                    self.warn(p, "limitation", Some(&d.to_string()), format!("the claim's {what} {d} is more than {years} years back; the claim may be time-barred (preskriberad)"));
                }
            }
        }
        if !ok {
            return None;
        }
        Some(Claim {
            kind: ckind?,
            amount: amount?,
            due_date,
            invoice_number,
            basis,
            interest,
            accrued_interest,
            costs,
            arose,
        })
    }
}
