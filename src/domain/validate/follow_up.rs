//! Validation of what follow-ups and verkställighet carry: the title, the reason and the change (intake.md §3).

use super::*;

impl Validator<'_> {
    pub(super) fn title(&mut self, t: &crate::domain::case::TitleInput) -> Option<Title> {
        let kind = match t.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                self.required("title.kind", "the title kind");
                None
            }
            Some(k) => {
                let parsed = match k {
                    "utslag" => Some(TitleKind::Utslag),
                    "dom" => Some(TitleKind::Dom),
                    "forlikning" => Some(TitleKind::Forlikning),
                    "skiljedom" => Some(TitleKind::Skiljedom),
                    "annan" => Some(TitleKind::Annan),
                    _ => None,
                };
                if parsed.is_none() {
                    self.err("title.kind", "title.kind", Some(k), format!("unknown title kind {k:?}; expected utslag, dom, forlikning, skiljedom or annan"));
                }
                parsed
            }
        };
        let reference = self.required_text(
            "title.reference",
            t.reference.as_deref(),
            "the title's målnummer",
        );
        let date = self.required_date("title.date", t.date.as_deref(), "the title's date");
        self.not_future("title.date", date, "date.future", "the title date");
        let date = date.filter(|d| *d <= self.ctx.today);
        let court = self.text("title.court", t.court.as_deref());
        Some(Title {
            kind: kind?,
            reference: reference?,
            date: date?,
            court,
        })
    }

    pub(super) fn reason(
        &mut self,
        raw: Option<&str>,
        kind: CaseKind,
        kind_known: bool,
    ) -> Option<FollowUpReason> {
        let allowed: &[(&str, FollowUpReason)] = match kind {
            CaseKind::Nedsattning => &[
                ("betalning", FollowUpReason::Betalning),
                ("kreditering", FollowUpReason::Kreditering),
                ("annan", FollowUpReason::Annan),
            ],
            CaseKind::Aterkallelse => &[
                ("betald", FollowUpReason::Betald),
                ("avbetalningsplan", FollowUpReason::Avbetalningsplan),
                ("annan", FollowUpReason::Annan),
            ],
            _ => &[],
        };
        let raw = raw.map(str::trim).filter(|s| !s.is_empty());
        if !kind_known {
            return None;
        }
        match raw {
            None if !allowed.is_empty() => {
                self.required("reason", "the reason");
                None
            }
            None => None,
            Some(r) if allowed.is_empty() => {
                self.not_allowed("reason", Some(r), kind);
                None
            }
            Some(r) => match allowed.iter().find(|(n, _)| *n == r) {
                Some((_, v)) => Some(*v),
                None => {
                    let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
                    self.err(
                        "reason",
                        "reason.not_allowed",
                        Some(r),
                        format!(
                            "reason {r:?} is not allowed for {kind}; expected one of {}",
                            names.join(", ")
                        ),
                    );
                    None
                }
            },
        }
    }

    pub(super) fn change(
        &mut self,
        c: &crate::domain::case::ChangeInput,
        date: Option<NaiveDate>,
    ) -> Option<Change> {
        let kind = match c.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                self.required("change.kind", "the change kind");
                return None;
            }
            Some("belopp") => ChangeKind::Belopp,
            Some("aterkallelse") => ChangeKind::Aterkallelse,
            Some("uppskov") => ChangeKind::Uppskov,
            Some(other) => {
                self.err(
                    "change.kind",
                    "change.kind",
                    Some(other),
                    format!("unknown change {other:?}; expected belopp, aterkallelse or uppskov"),
                );
                return None;
            }
        };
        let amount = self.amount("change.amount", c.amount.as_ref());
        let until = self.date("change.until", c.until.as_deref());
        let mut ok = true;
        match kind {
            ChangeKind::Belopp => match amount {
                None => {
                    if c.amount
                        .as_ref()
                        .is_none_or(|v| v.is_null() || json_text(v).trim().is_empty())
                    {
                        self.required("change.amount", "the new amount of a beloppsändring");
                    }
                    ok = false;
                }
                Some(a) if a.0 <= 0 => {
                    self.err(
                        "change.amount",
                        "amount.positive",
                        Some(&a.to_string()),
                        "the new amount must be more than 0 (use aterkallelse to withdraw)".into(),
                    );
                    ok = false;
                }
                Some(_) => {}
            },
            ChangeKind::Uppskov => match until {
                None => {
                    if c.until.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        self.required("change.until", "the end of the deferral");
                    }
                    ok = false;
                }
                Some(u) => {
                    let after = date.unwrap_or(self.ctx.today).max(self.ctx.today);
                    if u <= after {
                        self.err(
                            "change.until",
                            "change.until_past",
                            Some(&u.to_string()),
                            format!("the deferral must end after {after}"),
                        );
                        ok = false;
                    }
                }
            },
            ChangeKind::Aterkallelse => {}
        }
        if kind != ChangeKind::Belopp && c.amount.as_ref().is_some_and(|v| !v.is_null()) {
            self.err(
                "change.amount",
                "field.not_allowed",
                c.amount.as_ref().map(json_text).as_deref(),
                "an amount belongs only to a belopp change".into(),
            );
            ok = false;
        }
        if kind != ChangeKind::Uppskov && c.until.is_some() {
            self.err(
                "change.until",
                "field.not_allowed",
                c.until.as_deref(),
                "until belongs only to an uppskov change".into(),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Change {
            kind,
            amount: if kind == ChangeKind::Belopp {
                amount
            } else {
                None
            },
            until: if kind == ChangeKind::Uppskov {
                until
            } else {
                None
            },
        })
    }
}
