//! Validation of the parties of a case: creditor, agent, and the parts every kind of case has (intake.md §3).

use super::*;

impl Validator<'_> {
    pub(super) fn party(
        &mut self,
        path: impl Display + Copy,
        p: &PartyInput,
        what: &str,
    ) -> Option<Party> {
        let idp = Field(&path, "id");
        let id = match p.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => self.id(idp, raw),
            None => {
                self.required(idp, format!("the {what}'s identity number"));
                None
            }
        };
        let name = self.required_text(
            Field(&path, "name"),
            p.name.as_deref(),
            format_args!("the {what}'s name"),
        );
        let mut ok = true;
        let street = self.text(Field(&path, "street"), p.street.as_deref());
        let pcp = Field(&path, "postal_code");
        let postal_code = match self.text(pcp, p.postal_code.as_deref()) {
            Some(pc) => match crate::domain::ids::swedish_postal_code(&pc) {
                Ok(once) => Some(once),
                Err(e) => {
                    self.err(pcp, e.rule, Some(&pc), e.message);
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let city = self.text(Field(&path, "city"), p.city.as_deref());
        let phone = self.text(Field(&path, "phone"), p.phone.as_deref());
        let email = self.text(Field(&path, "email"), p.email.as_deref());
        let rp = Field(&path, "reference");
        let reference = self.text(rp, p.reference.as_deref());
        if reference.is_some() && what != "agent" {
            self.err(
                rp,
                "field.not_allowed",
                p.reference.as_deref(),
                format!("{rp} belongs to the agent (ombudets referens), not the {what}"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Party {
            id: id?,
            name: name?,
            street,
            postal_code,
            city,
            phone,
            email,
            reference,
        })
    }

    /// Validates everything below the case header for `kind`. With `kind_known == false` (kind missing or unknown)
    /// only the kind-independent checks run, so their problems are still reported.
    pub(super) fn parts_any_kind(
        &mut self,
        input: &CaseInput,
        kind: CaseKind,
        kind_known: bool,
    ) -> Option<Parts> {
        let is_app = !kind.is_follow_up();
        let mut ok = true;

        // Creditor and agent.
        let creditor = match &input.creditor {
            Some(p) => {
                let c = self.party("creditor", p, "creditor");
                ok &= c.is_some();
                c
            }
            None => {
                if is_app && kind_known {
                    self.required("creditor", "the creditor");
                    ok = false;
                }
                None
            }
        };
        let agent = match &input.agent {
            Some(p) => {
                let a = self.party("agent", p, "agent");
                ok &= a.is_some();
                a
            }
            None => None,
        };
        let customer_number = self.text("customer_number", input.customer_number.as_deref());
        let malnummer = self.text("malnummer", input.malnummer.as_deref());
        let concerns = self.text("concerns", input.concerns.as_deref());
        if let Some(c) = &concerns {
            if c.chars().count() > 20 {
                self.err(
                    "concerns",
                    "reference.length",
                    Some(c),
                    "concerns names a reference of more than 20 characters".into(),
                );
            }
        }
        if kind_known && !kind.is_follow_up() && input.concerns.is_some() {
            self.not_allowed("concerns", input.concerns.as_deref(), kind);
        }

        // Debtors.
        let mut debtors = Vec::new();
        let n_debtors = input.debtors.len();
        if kind_known {
            match kind {
                CaseKind::Betalningsforelaggande | CaseKind::Verkstallighet => {
                    if n_debtors == 0 {
                        self.err(
                            "debtors",
                            "debtors.count",
                            None,
                            "at least one debtor is required".into(),
                        );
                    } else if n_debtors > self.ctx.rules.max_debtors {
                        self.err(
                            "debtors",
                            "debtors.count",
                            Some(&n_debtors.to_string()),
                            format!(
                                "{n_debtors} debtors, at most {} are allowed",
                                self.ctx.rules.max_debtors
                            ),
                        );
                    }
                }
                CaseKind::Fordringsanmalan => {
                    if n_debtors != 1 {
                        self.err(
                            "debtors",
                            "debtors.count",
                            Some(&n_debtors.to_string()),
                            format!("a fordringsanmälan names exactly one debtor, got {n_debtors}"),
                        );
                    }
                }
                _ => {
                    if n_debtors > 0 {
                        self.not_allowed("debtors", None, kind);
                    }
                }
            }
        }
        for (i, d) in input.debtors.iter().enumerate() {
            match self.debtor(Indexed("debtors", i), d) {
                Some(d) => debtors.push(d),
                None => ok = false,
            }
        }
        // A debtor that is not a business (or not readable) makes the case a consumer case; the consumer
        // limitation period applies unless the claim rests on a löpande skuldebrev (intake.md §3).
        let any_consumer =
            debtors.iter().any(|d| !d.is_business()) || input.debtors.len() != debtors.len();
        let limitation_years = if any_consumer && !input.promissory_note.unwrap_or(false) {
            self.ctx.rules.limitation_years_consumer
        } else {
            self.ctx.rules.limitation_years_other
        };

        // Claims.
        let n_claims = input.claims.len();
        if kind_known {
            if is_app {
                if n_claims == 0 {
                    self.err(
                        "claims",
                        "claims.count",
                        None,
                        "at least one claim is required".into(),
                    );
                } else if n_claims > self.ctx.rules.max_claims {
                    self.err(
                        "claims",
                        "claims.count",
                        Some(&n_claims.to_string()),
                        format!(
                            "{n_claims} claims, at most {} are allowed",
                            self.ctx.rules.max_claims
                        ),
                    );
                }
            } else if n_claims > 0 {
                self.not_allowed("claims", None, kind);
            }
        }
        let mut claims = Vec::new();
        let mut claim_at = Vec::new();
        for (i, c) in input.claims.iter().enumerate() {
            match self.claim(Indexed("claims", i), c, kind, kind_known, limitation_years) {
                Some(c) => {
                    claims.push(c);
                    claim_at.push(i);
                }
                None => ok = false,
            }
        }
        if kind_known && is_app {
            let indexed: Vec<(usize, &Claim)> = claim_at.iter().copied().zip(&claims).collect();
            self.costs(&indexed, !any_consumer, agent.is_some());
            self.interest_rules(&indexed, kind);
        }

        // Kind-specific parts.
        let mut title = None;
        if let Some(t) = &input.title {
            if kind_known && kind != CaseKind::Verkstallighet {
                self.not_allowed("title", None, kind);
            }
            title = self.title(t);
            ok &= title.is_some();
        } else if kind_known && kind == CaseKind::Verkstallighet {
            self.required("title", "the executive title");
            ok = false;
        }

        let drc = self.text(
            "debt_restructuring_case",
            input.debt_restructuring_case.as_deref(),
        );
        if kind_known {
            if kind == CaseKind::Fordringsanmalan
                && drc.is_none()
                && input.debt_restructuring_case.is_none()
            {
                self.required("debt_restructuring_case", "the skuldsanering case number");
                ok = false;
            } else if kind != CaseKind::Fordringsanmalan && input.debt_restructuring_case.is_some()
            {
                self.not_allowed(
                    "debt_restructuring_case",
                    input.debt_restructuring_case.as_deref(),
                    kind,
                );
            }
        }

        // Follow-up fields.
        let date_allowed = kind.is_follow_up();
        let date = if kind_known && date_allowed {
            let d = self.required_date("date", input.date.as_deref(), "date");
            self.not_future("date", d, "date.future", "the date");
            ok &= d.is_some();
            d
        } else {
            if kind_known && input.date.is_some() {
                self.not_allowed("date", input.date.as_deref(), kind);
            }
            self.date("date", input.date.as_deref())
        };

        let reason = self.reason(input.reason.as_deref(), kind, kind_known);
        if kind_known && matches!(kind, CaseKind::Nedsattning | CaseKind::Aterkallelse) {
            ok &= reason.is_some();
        }

        let amount_path = "amount";
        let amount = self.amount(amount_path, input.amount.as_ref());
        if kind_known {
            if kind == CaseKind::Nedsattning {
                match amount {
                    None if input
                        .amount
                        .as_ref()
                        .is_none_or(|v| json_text(v).trim().is_empty() || v.is_null()) =>
                    {
                        self.required(amount_path, "the reduction amount");
                        ok = false;
                    }
                    None => ok = false,
                    Some(a) if a.0 <= 0 => {
                        self.err(
                            amount_path,
                            "amount.positive",
                            Some(&a.to_string()),
                            "the reduction must be more than 0".into(),
                        );
                        ok = false;
                    }
                    Some(_) => {}
                }
            } else if input.amount.as_ref().is_some_and(|v| !v.is_null()) {
                self.not_allowed(
                    amount_path,
                    input.amount.as_ref().map(json_text).as_deref(),
                    kind,
                );
            }
            if kind != CaseKind::Nedsattning && input.claim_index.is_some() {
                self.not_allowed(
                    "claim_index",
                    input.claim_index.map(|c| c.to_string()).as_deref(),
                    kind,
                );
            }
        }

        let mut change = None;
        if let Some(c) = &input.change {
            if kind_known && kind != CaseKind::VerkstallighetAndring {
                self.not_allowed("change", None, kind);
            }
            change = self.change(c, date);
            ok &= change.is_some();
        } else if kind_known && kind == CaseKind::VerkstallighetAndring {
            self.required("change", "the change");
            ok = false;
        }

        // Begäran: what is requested (fogd-ref-2.md §2.5).
        let raw_request = input
            .request
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut request = None;
        if kind_known && kind == CaseKind::Begaran {
            match raw_request {
                None => {
                    self.required("request", "what is requested (court or enforcement)");
                    ok = false;
                }
                Some(r) => match crate::domain::case::BegaranRequest::parse(r) {
                    Some(v) => request = Some(v),
                    None => {
                        self.err(
                            "request",
                            "begaran.request",
                            Some(r),
                            format!("request {r:?} is not court (överlämnande) or enforcement (verkställighet)"),
                        );
                        ok = false;
                    }
                },
            }
        } else if kind_known && raw_request.is_some() {
            self.not_allowed("request", raw_request, kind);
        }

        if !ok {
            return None;
        }
        Some(Parts {
            creditor,
            agent,
            customer_number,
            malnummer,
            concerns,
            debtors,
            claims,
            title,
            debt_restructuring_case: drc,
            date,
            reason,
            amount,
            change,
            request,
        })
    }
}
