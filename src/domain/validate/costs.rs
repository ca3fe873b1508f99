//! The cost rules of a case (fogd-ref-2.md §2.1), per **case**, not per claim line: the caps bound the sum of a
//! kind's lines; one inkassokostnad per case; förseningsersättning only when every debtor is a business, and then
//! instead of inkassokostnad and påminnelseavgift (lag (1981:739) om ersättning för inkassokostnader m.m. 4 a §);
//! amorteringsplan and ombudsarvode capped, ombudsarvode only with an ombud; ansökningsavgift exactly the fee.
//! The figures are configuration ([`Rules`](super::Rules)). A breach is a warning (the case is held for review)
//! naming the rule and the figures, on the line that crosses the limit.

use super::*;

/// The lines of one claim kind in a case: (index in `claims`, amount).
struct Lines(Vec<(usize, Amount)>);

impl Lines {
    fn of(claims: &[(usize, &Claim)], kind: ClaimKind) -> Lines {
        Lines(
            claims
                .iter()
                .filter(|(_, c)| c.kind == kind)
                .map(|(i, c)| (*i, c.amount))
                .collect(),
        )
    }

    fn total(&self) -> Amount {
        Amount(self.0.iter().map(|(_, a)| a.0).sum())
    }

    /// The first line whose running total passes `cap`, with that total.
    fn crossing(&self, cap: Amount) -> Option<(usize, Amount)> {
        let mut sum = 0i64;
        self.0.iter().find_map(|(i, a)| {
            sum = sum.saturating_add(a.0);
            (sum > cap.0).then_some((*i, Amount(sum)))
        })
    }
}

impl Validator<'_> {
    /// Checks the cost rules over the case's valid `claims` (with their index in the input); `all_business` when
    /// every debtor is a business, `has_agent` when the case names an ombud.
    pub(super) fn costs(
        &mut self,
        claims: &[(usize, &Claim)],
        all_business: bool,
        has_agent: bool,
    ) {
        let rules = &self.ctx.rules;
        let caps = [
            (ClaimKind::Paminnelseavgift, rules.cap_paminnelseavgift),
            (ClaimKind::Inkassokostnad, rules.cap_inkassokostnad),
            (
                ClaimKind::Forseningsersattning,
                rules.cap_forseningsersattning,
            ),
            (ClaimKind::Amorteringsplan, rules.cap_amorteringsplan),
            (ClaimKind::Ombudsarvode, rules.cap_ombudsarvode),
        ];
        let fee = rules.fee_ansokningsavgift;
        for (kind, cap) in caps {
            let lines = Lines::of(claims, kind);
            if let Some((i, total)) = lines.crossing(cap) {
                let n = lines.0.len();
                let what = if n == 1 {
                    format!("{} of {total} kr", kind.as_str())
                } else {
                    format!(
                        "{} of {} kr in total ({n} lines)",
                        kind.as_str(),
                        lines.total()
                    )
                };
                self.warn(
                    Field(&Indexed("claims", i), "amount"),
                    "cost.cap",
                    Some(&lines.total().to_string()),
                    format!("{what} exceeds the cap of {cap} kr per case"),
                );
            }
        }
        let inkasso = Lines::of(claims, ClaimKind::Inkassokostnad);
        if let Some((i, _)) = inkasso.0.get(1) {
            self.warn(
                Field(&Indexed("claims", *i), "kind"),
                "cost.inkassokostnad_once",
                Some(ClaimKind::Inkassokostnad.as_str()),
                format!(
                    "{} inkassokostnad lines ({} kr in total): one inkassokostnad per case",
                    inkasso.0.len(),
                    inkasso.total()
                ),
            );
        }
        let forsening = Lines::of(claims, ClaimKind::Forseningsersattning);
        if let Some((i, _)) = forsening.0.first() {
            let path = Field(&Indexed("claims", *i), "kind");
            if !all_business {
                self.warn(
                    path,
                    "cost.forseningsersattning_consumer",
                    Some(ClaimKind::Forseningsersattning.as_str()),
                    "förseningsersättning may only be claimed when every debtor is a business (näringsidkare)"
                        .into(),
                );
            }
            let instead = Lines::of(claims, ClaimKind::Inkassokostnad).total().0
                + Lines::of(claims, ClaimKind::Paminnelseavgift).total().0;
            if instead > 0 {
                self.warn(
                    path,
                    "cost.forseningsersattning_instead",
                    Some(&Amount(instead).to_string()),
                    format!(
                        "förseningsersättning of {} kr comes instead of inkassokostnad and påminnelseavgift, yet the case also claims {} kr of those",
                        forsening.total(),
                        Amount(instead)
                    ),
                );
            }
        }
        let ansokan = Lines::of(claims, ClaimKind::Ansokningsavgift);
        if let Some((i, _)) = ansokan.0.first() {
            if ansokan.total() != fee {
                self.warn(
                    Field(&Indexed("claims", *i), "amount"),
                    "cost.ansokningsavgift_fee",
                    Some(&ansokan.total().to_string()),
                    format!(
                        "ansökningsavgift of {} kr claimed; Kronofogden's fee is {fee} kr",
                        ansokan.total()
                    ),
                );
            }
        }
        let ombud = Lines::of(claims, ClaimKind::Ombudsarvode);
        if let (Some((i, _)), false) = (ombud.0.first(), has_agent) {
            self.warn(
                Field(&Indexed("claims", *i), "kind"),
                "cost.ombudsarvode_without_agent",
                Some(&ombud.total().to_string()),
                format!(
                    "ombudsarvode of {} kr claimed, but the case names no ombud (agent)",
                    ombud.total()
                ),
            );
        }
    }
}
