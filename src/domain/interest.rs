//! Interest on a claim (fogd-ref-2.md §4): pure, exact, no floating point.
//!
//! - `reference_plus`: räntelagen (1975:635) 6 § — each day bears the referensränta of its calendar half-year
//!   (9 §, [`ReferensrantaTable`]) plus the margin; a negative sum is 0.
//! - `fixed`: the agreed rate a year, the same every day.
//!
//! Days are counted in [`from`, `to`): `from` counts, `to` does not. Each day earns principal × rate / 365 (also in
//! leap years: the spec's day count is actual/365). The day amounts are summed **exactly** as a fraction with the
//! fixed denominator [`DENOMINATOR`] (öre × hundredths of a percent × 100 × 365, in `i128`), and the total of a
//! claim is rounded **once**, to whole öre, half up ([`InterestCalculation::amount`]).
//!
//! A half-year the table lacks is never guessed: [`InterestError::RateUnknown`] names it, and the caller holds the
//! case with rule `interest.rate_unknown` ([`InterestError::rule`]) and raises an alert.

use super::amount::Amount;
use super::case::{Interest, InterestKind};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::fmt;

/// The day amounts of a calculation are fractions of an öre with this denominator: rates are in hundredths of a
/// percent (÷ 100 ÷ 100) and a day is 1/365 of a year.
pub const DENOMINATOR: i128 = 100 * 100 * 365;

/// A calendar half-year: 1 January – 30 June or 1 July – 31 December.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HalfYear {
    /// The year.
    pub year: i32,
    /// True for 1 July – 31 December.
    pub second: bool,
}

impl HalfYear {
    /// The half-year `date` falls in.
    pub fn of(date: NaiveDate) -> HalfYear {
        HalfYear {
            year: date.year(),
            second: date.month() >= 7,
        }
    }

    /// The half-year starting on `date`, when `date` is 1 January or 1 July.
    pub fn starting(date: NaiveDate) -> Option<HalfYear> {
        (date.day() == 1 && (date.month() == 1 || date.month() == 7)).then(|| HalfYear::of(date))
    }

    /// Its first day (`None` only for years chrono cannot represent).
    pub fn start(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, if self.second { 7 } else { 1 }, 1)
    }

    /// The half-year after this one.
    pub fn next(self) -> HalfYear {
        if self.second {
            HalfYear {
                year: self.year + 1,
                second: false,
            }
        } else {
            HalfYear {
                year: self.year,
                second: true,
            }
        }
    }
}

impl fmt::Display for HalfYear {
    /// `2026-07-01–2026-12-31`: the days it covers, as operators look them up in Riksbanken's table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.second {
            write!(f, "{:04}-07-01–{:04}-12-31", self.year, self.year)
        } else {
            write!(f, "{:04}-01-01–{:04}-06-30", self.year, self.year)
        }
    }
}

/// Why interest could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterestError {
    /// The referensränta table has no rate for a half-year the period needs.
    #[error("the referensränta table has no rate for the half-year {half_year}; add it (Riksbanken publishes it) before this interest can be computed")]
    RateUnknown {
        /// The half-year.
        half_year: HalfYear,
    },
    /// A negative principal has no interest (a credit is not a claim).
    #[error("the principal {0} is negative")]
    NegativePrincipal(Amount),
    /// The interest does not fit an amount (more than `i64` öre).
    #[error("the interest does not fit an amount")]
    Overflow,
}

impl InterestError {
    /// The rule name a case is held with (`interest.rate_unknown`, …).
    pub fn rule(&self) -> &'static str {
        match self {
            InterestError::RateUnknown { .. } => "interest.rate_unknown",
            InterestError::NegativePrincipal(_) => "interest.negative_principal",
            InterestError::Overflow => "interest.overflow",
        }
    }
}

/// One stretch of days at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterestPeriod {
    /// First day.
    pub from: NaiveDate,
    /// The day after the last.
    pub to: NaiveDate,
    /// Days in [`from`, `to`).
    pub days: i64,
    /// The rate a year in hundredths of a percent, after adding the margin and flooring at 0.
    pub rate_bp: i64,
}

/// The result of one claim's interest: the periods, the exact sum and the rounded amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestCalculation {
    /// Stretches of days at one rate, in order (none for an empty period).
    pub periods: Vec<InterestPeriod>,
    /// The exact interest in öre is `exact_numerator / DENOMINATOR`.
    pub exact_numerator: i128,
    /// The interest rounded once to whole öre, half up.
    pub amount: Amount,
}

/// Riksbanken's referensränta per half-year (räntelagen 9 §), checked: contiguous half-years in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferensrantaTable {
    /// The first half-year.
    first: HalfYear,
    /// Rates in hundredths of a percent, one per half-year from `first`.
    rates_bp: Vec<i32>,
}

/// Why a referensränta table was refused: the entry (1-based), its `from` when readable, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("referensränta table{}: {message}", match (.entry, .from) {
    (Some(e), Some(f)) => format!(", entry {e} (from {f})"),
    (Some(e), None) => format!(", entry {e}"),
    _ => String::new(),
})]
pub struct RateTableError {
    /// The entry of `rates`, 1-based.
    pub entry: Option<usize>,
    /// Its `from`, as written.
    pub from: Option<String>,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    rates: Vec<RawRate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    from: toml::Value,
    percent: toml::Value,
}

/// Rates outside this range (hundredths of a percent) are taken for typos (`450` for `4.50`).
const PLAUSIBLE_BP: std::ops::RangeInclusive<i32> = -2000..=5000;

/// Parses `"4.50"`, `"-0.5"`, `"3"` into hundredths of a percent.
fn parse_percent(text: &str) -> Option<i32> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let frac: i32 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole * 100 + frac;
    Some(if neg { -bp } else { bp })
}

impl ReferensrantaTable {
    /// The table shipped in `rates/referensranta.toml` (checked by a test, so this cannot fail in a released
    /// binary; were it broken, the table would be empty and every `reference_plus` calculation would answer
    /// [`InterestError::RateUnknown`], never a guessed rate).
    pub fn embedded() -> ReferensrantaTable {
        ReferensrantaTable::from_toml(EMBEDDED).unwrap_or_else(|_| ReferensrantaTable::empty())
    }

    /// A table without rates: every `reference_plus` calculation answers [`InterestError::RateUnknown`].
    pub fn empty() -> ReferensrantaTable {
        ReferensrantaTable {
            first: HalfYear {
                year: 2002,
                second: true,
            },
            rates_bp: Vec::new(),
        }
    }

    /// Reads and checks a table: `rates = [ { from = 2002-07-01, percent = "4.50" }, … ]`, each `from` the first
    /// day of a half-year, in order, without duplicates or gaps; `percent` a decimal string with at most two
    /// decimals (a TOML float is refused: rates are exact).
    pub fn from_toml(text: &str) -> Result<ReferensrantaTable, RateTableError> {
        let raw: RawTable = toml::from_str(text).map_err(|e| RateTableError {
            entry: None,
            from: None,
            message: format!("not a valid table: {}", e.to_string().trim()),
        })?;
        let mut first = None;
        let mut expected: Option<HalfYear> = None;
        let mut rates_bp = Vec::with_capacity(raw.rates.len());
        for (i, r) in raw.rates.iter().enumerate() {
            let from_text = match &r.from {
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let err = |message: String| RateTableError {
                entry: Some(i + 1),
                from: Some(from_text.clone()),
                message,
            };
            let date = NaiveDate::parse_from_str(&from_text, "%Y-%m-%d")
                .map_err(|_| err("from is not a date YYYY-MM-DD".into()))?;
            let hy = HalfYear::starting(date).ok_or_else(|| {
                err("from is not the first day of a half-year (1 January or 1 July)".into())
            })?;
            if let Some(want) = expected {
                if hy < want {
                    return Err(err(format!(
                        "out of order or a duplicate: the entry before covers {}",
                        HalfYear {
                            year: if want.second {
                                want.year
                            } else {
                                want.year - 1
                            },
                            second: !want.second
                        }
                    )));
                }
                if hy != want {
                    return Err(err(format!(
                        "a gap: the half-year {want} is missing before it"
                    )));
                }
            }
            let bp = match &r.percent {
                toml::Value::String(s) => parse_percent(s),
                _ => None,
            }
            .ok_or_else(|| {
                err(format!(
                    "percent {} is not a decimal string with at most two decimals, like \"4.50\"",
                    r.percent
                ))
            })?;
            if !PLAUSIBLE_BP.contains(&bp) {
                return Err(err(format!(
                    "percent {} is outside -20.00..=50.00 (a typo?)",
                    r.percent
                )));
            }
            first.get_or_insert(hy);
            expected = Some(hy.next());
            rates_bp.push(bp);
        }
        let first = first.ok_or_else(|| RateTableError {
            entry: None,
            from: None,
            message: "rates is empty".into(),
        })?;
        Ok(ReferensrantaTable { first, rates_bp })
    }

    /// The referensränta of `half_year` in hundredths of a percent.
    pub fn rate_bp(&self, half_year: HalfYear) -> Result<i32, InterestError> {
        let index = |hy: HalfYear| i64::from(hy.year) * 2 + i64::from(hy.second);
        usize::try_from(index(half_year) - index(self.first))
            .ok()
            .and_then(|i| self.rates_bp.get(i).copied())
            .ok_or(InterestError::RateUnknown { half_year })
    }

    /// The first and last half-year the table covers.
    pub fn span(&self) -> Option<(HalfYear, HalfYear)> {
        let n = self.rates_bp.len();
        (n > 0).then(|| {
            let mut last = self.first;
            for _ in 1..n {
                last = last.next();
            }
            (self.first, last)
        })
    }

    /// Every half-year with its rate in hundredths of a percent, in order.
    pub fn iter(&self) -> impl Iterator<Item = (HalfYear, i32)> + '_ {
        let mut hy = self.first;
        self.rates_bp.iter().map(move |&bp| {
            let this = hy;
            hy = hy.next();
            (this, bp)
        })
    }
}

/// The shipped table's text (`rates/referensranta.toml`).
pub const EMBEDDED: &str = include_str!("../../rates/referensranta.toml");

/// Interest on `principal` at `kind`/`rate_bp` (hundredths of a percent: the margin for `reference_plus`, the
/// rate for `fixed`) for the days in [`from`, `to`); an empty or reversed period earns nothing.
pub fn compute(
    principal: Amount,
    kind: InterestKind,
    rate_bp: u32,
    from: NaiveDate,
    to: NaiveDate,
    table: &ReferensrantaTable,
) -> Result<InterestCalculation, InterestError> {
    if principal.0 < 0 {
        return Err(InterestError::NegativePrincipal(principal));
    }
    let mut periods = Vec::new();
    let mut numerator: i128 = 0;
    let mut day = from;
    while day < to {
        let hy = HalfYear::of(day);
        let end = match kind {
            InterestKind::Fixed => to,
            InterestKind::ReferencePlus => hy.next().start().map_or(to, |s| s.min(to)),
        };
        let rate = match kind {
            InterestKind::Fixed => i64::from(rate_bp),
            InterestKind::ReferencePlus => {
                (i64::from(table.rate_bp(hy)?) + i64::from(rate_bp)).max(0)
            }
        };
        let days = (end - day).num_days();
        numerator = i128::from(principal.0)
            .checked_mul(i128::from(rate))
            .and_then(|x| x.checked_mul(i128::from(days)))
            .and_then(|x| numerator.checked_add(x))
            .ok_or(InterestError::Overflow)?;
        periods.push(InterestPeriod {
            from: day,
            to: end,
            days,
            rate_bp: rate,
        });
        day = end;
    }
    let rounded = (numerator + DENOMINATOR / 2) / DENOMINATOR;
    let amount = i64::try_from(rounded)
        .map(Amount)
        .map_err(|_| InterestError::Overflow)?;
    Ok(InterestCalculation {
        periods,
        exact_numerator: numerator,
        amount,
    })
}

/// Interest on `principal` under a claim's terms, from `interest.from` up to (not including) `to`.
pub fn interest_until(
    principal: Amount,
    interest: &Interest,
    to: NaiveDate,
    table: &ReferensrantaTable,
) -> Result<Amount, InterestError> {
    compute(
        principal,
        interest.kind,
        interest.rate_bp,
        interest.from,
        to,
        table,
    )
    .map(|c| c.amount)
}

/// One claim's interest for a fordringsanmälan: the days [`from`, `to`) and the amount (record `30` `ranta_from`,
/// `ranta_till`, `ranta`; fogd-ref-2.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimInterest {
    /// Interest runs from (the claim's interest `from`).
    pub from: NaiveDate,
    /// Up to, not including (the decision date).
    pub to: NaiveDate,
    /// The interest, rounded once.
    pub amount: Amount,
}

/// Why a claim's interest could not be computed: the claim's index (0-based) and the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim {index}: {error}")]
pub struct ClaimInterestError {
    /// The claim, 0-based.
    pub index: usize,
    /// What went wrong.
    pub error: InterestError,
}

impl super::case::Case {
    /// The interest of each claim up to the decision that opened the skuldsanering (`decision_date`), for the
    /// fordringsanmälan: one entry per claim, `None` for a claim without interest; all `None` when the case has no
    /// decision date. A half-year the table lacks is an error, never a guessed rate.
    pub fn sks_interest(
        &self,
        table: &ReferensrantaTable,
    ) -> Result<Vec<Option<ClaimInterest>>, ClaimInterestError> {
        self.claims
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let (Some(interest), Some(to)) = (&c.interest, self.decision_date) else {
                    return Ok(None);
                };
                interest_until(c.amount, interest, to, table)
                    .map(|amount| {
                        Some(ClaimInterest {
                            from: interest.from,
                            to,
                            amount,
                        })
                    })
                    .map_err(|error| ClaimInterestError { index, error })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kr(s: &str) -> Amount {
        Amount::parse_kronor(s).unwrap()
    }

    #[test]
    fn the_shipped_table_loads_and_spans_2002_to_2026() {
        let t = ReferensrantaTable::from_toml(EMBEDDED).unwrap();
        let (first, last) = t.span().unwrap();
        assert_eq!(first.start(), Some(d("2002-07-01")));
        assert_eq!(last.start(), Some(d("2026-01-01")));
        assert_eq!(t, ReferensrantaTable::embedded());
        // Spot checks against the spec's table and Riksbanken's.
        assert_eq!(t.rate_bp(HalfYear::of(d("2016-07-01"))), Ok(-50));
        assert_eq!(t.rate_bp(HalfYear::of(d("2008-12-31"))), Ok(450));
        assert_eq!(t.rate_bp(HalfYear::of(d("2025-03-01"))), Ok(300));
    }

    /// A fordringsanmälan's interest up to the decision date: the first worked example per claim, none for a claim
    /// without interest or a case without a decision date, and a missing half-year named, never guessed.
    #[test]
    fn sks_interest_runs_to_the_decision_date() {
        let mut case: crate::domain::case::Case = serde_json::from_value(serde_json::json!({
            "reference": "S-1", "kind": "fordringsanmalan", "intressentkod": "DEV",
            "decision_date": "2025-02-15",
            "claims": [
                { "kind": "kapital", "amount": "10000.00",
                  "interest": { "kind": "reference_plus", "rate_bp": 800, "from": "2024-05-10" } },
                { "kind": "inkassokostnad", "amount": "180.00" }
            ]
        }))
        .unwrap();
        let t = ReferensrantaTable::embedded();
        let got = case.sks_interest(&t).unwrap();
        assert_eq!(
            got,
            vec![
                Some(ClaimInterest {
                    from: d("2024-05-10"),
                    to: d("2025-02-15"),
                    amount: kr("911.51"),
                }),
                None
            ]
        );
        let short = ReferensrantaTable::from_toml(
            "rates = [{ from = 2024-01-01, percent = \"4.00\" }, { from = 2024-07-01, percent = \"4.00\" }]",
        )
        .unwrap();
        let e = case.sks_interest(&short).unwrap_err();
        assert_eq!(e.index, 0);
        assert_eq!(
            e.error,
            InterestError::RateUnknown {
                half_year: HalfYear::of(d("2025-01-01"))
            }
        );
        case.decision_date = None;
        assert_eq!(case.sks_interest(&t).unwrap(), vec![None, None]);
    }

    /// fogd-ref-2.md §4, the four worked examples, exactly.
    #[test]
    fn worked_examples() {
        let t = ReferensrantaTable::embedded();
        let rp = InterestKind::ReferencePlus;
        let cases = [
            ("10000.00", rp, 800, "2024-05-10", "2025-02-15", "911.51"),
            ("10000.00", rp, 800, "2016-03-01", "2019-09-30", "2716.85"),
            (
                "123456.78",
                InterestKind::Fixed,
                1250,
                "2025-01-31",
                "2026-01-31",
                "15432.10",
            ),
            ("500.00", rp, 800, "2026-01-01", "2026-06-30", "24.66"),
        ];
        for (p, kind, rate, from, to, want) in cases {
            let c = compute(kr(p), kind, rate, d(from), d(to), &t).unwrap();
            assert_eq!(c.amount, kr(want), "{p} {from}..{to}: {c:?}");
        }
    }

    #[test]
    fn periods_follow_the_half_years() {
        let t = ReferensrantaTable::embedded();
        let c = compute(
            kr("10000"),
            InterestKind::ReferencePlus,
            800,
            d("2024-05-10"),
            d("2025-02-15"),
            &t,
        )
        .unwrap();
        let got: Vec<_> = c
            .periods
            .iter()
            .map(|p| (p.from.to_string(), p.days, p.rate_bp))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-05-10".to_string(), 52, 1200),
                ("2024-07-01".to_string(), 184, 1200),
                ("2025-01-01".to_string(), 45, 1100),
            ]
        );
        // Exact: 10 000 kr × (12 % × 236 + 11 % × 45) / 365 = 332 700 000 000 / 3 650 000 öre.
        assert_eq!(c.exact_numerator, 1_000_000 * (1200 * 236 + 1100 * 45));
    }

    #[test]
    fn a_negative_sum_is_zero() {
        let t = ReferensrantaTable::embedded();
        // 2017: referensränta -0.50; a margin of 0.25 gives -0.25 → 0.
        let c = compute(
            kr("1000"),
            InterestKind::ReferencePlus,
            25,
            d("2017-01-01"),
            d("2017-12-31"),
            &t,
        )
        .unwrap();
        assert_eq!(c.amount, Amount::ZERO);
        assert!(c.periods.iter().all(|p| p.rate_bp == 0));
    }

    #[test]
    fn a_missing_half_year_is_named() {
        let t = ReferensrantaTable::embedded();
        let e = compute(
            kr("1000"),
            InterestKind::ReferencePlus,
            800,
            d("2026-06-01"),
            d("2026-11-30"),
            &t,
        )
        .unwrap_err();
        assert_eq!(
            e,
            InterestError::RateUnknown {
                half_year: HalfYear {
                    year: 2026,
                    second: true
                }
            }
        );
        assert_eq!(e.rule(), "interest.rate_unknown");
        assert!(e.to_string().contains("2026-07-01–2026-12-31"), "{e}");
        // Before the referensränta existed.
        let e = compute(
            kr("1000"),
            InterestKind::ReferencePlus,
            800,
            d("2002-06-30"),
            d("2002-07-02"),
            &t,
        )
        .unwrap_err();
        assert!(e.to_string().contains("2002-01-01–2002-06-30"), "{e}");
        // A fixed rate needs no table.
        assert!(compute(
            kr("1000"),
            InterestKind::Fixed,
            800,
            d("1990-01-01"),
            d("2030-01-01"),
            &t
        )
        .is_ok());
        assert_eq!(
            compute(
                kr("-1"),
                InterestKind::Fixed,
                800,
                d("2020-01-01"),
                d("2021-01-01"),
                &t
            )
            .unwrap_err()
            .rule(),
            "interest.negative_principal"
        );
    }

    #[test]
    fn rounding_is_half_up_once_per_claim() {
        let t = ReferensrantaTable::embedded();
        // 73 öre at 10 % for 25 days: 73 × 1000 × 25 / 3 650 000 = 0.5 öre exactly → 1 öre.
        let c = compute(
            Amount(73),
            InterestKind::Fixed,
            1000,
            d("2020-01-01"),
            d("2020-01-26"),
            &t,
        )
        .unwrap();
        assert_eq!(c.exact_numerator * 2, DENOMINATOR);
        assert_eq!(c.amount, Amount(1));
        // Two half-years each worth 0.4 öre (referensränta 0.00 + 14.60) round to 1 öre in total, not 0 + 0.
        let c = compute(
            Amount(100),
            InterestKind::ReferencePlus,
            1460,
            d("2020-06-21"),
            d("2020-07-11"),
            &t,
        )
        .unwrap();
        assert_eq!(c.periods.len(), 2);
        assert_eq!(c.exact_numerator, 100 * 1460 * 20);
        assert_eq!(c.amount, Amount(1)); // 0.8 öre
    }

    #[test]
    fn table_errors_name_the_entry() {
        let bad = [
            ("rates = []", "rates is empty"),
            (
                "rates = [{ from = 2020-01-02, percent = \"1.00\" }]",
                "entry 1 (from 2020-01-02): from is not the first day",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = \"1.00\" }, { from = 2020-01-01, percent = \"1.00\" }]",
                "entry 2 (from 2020-01-01): out of order or a duplicate",
            ),
            (
                "rates = [{ from = 2020-07-01, percent = \"1.00\" }, { from = 2020-01-01, percent = \"1.00\" }]",
                "entry 2 (from 2020-01-01): out of order",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = \"1.00\" }, { from = 2021-01-01, percent = \"1.00\" }]",
                "entry 2 (from 2021-01-01): a gap: the half-year 2020-07-01–2020-12-31 is missing",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = 1.5 }]",
                "entry 1 (from 2020-01-01): percent 1.5 is not a decimal string",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = \"1.505\" }]",
                "is not a decimal string",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = \"450\" }]",
                "outside -20.00..=50.00",
            ),
            (
                "rates = [{ from = 2020-01-01, percent = \"1\", note = \"x\" }]",
                "not a valid table",
            ),
        ];
        for (text, want) in bad {
            let e = ReferensrantaTable::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
        let t = ReferensrantaTable::from_toml(
            "rates = [{ from = \"2020-07-01\", percent = \"-0.5\" }, { from = 2021-01-01, percent = \"3\" }]",
        )
        .unwrap();
        assert_eq!(
            t.iter().map(|(_, bp)| bp).collect::<Vec<_>>(),
            vec![-50, 300]
        );
    }

    fn date_in(lo: &str, days: i64) -> impl Strategy<Value = NaiveDate> {
        let lo = d(lo);
        (0..days).prop_map(move |n| lo + chrono::Duration::days(n))
    }

    fn kind() -> impl Strategy<Value = (InterestKind, u32)> {
        prop_oneof![
            (0u32..=2000).prop_map(|r| (InterestKind::ReferencePlus, r)),
            (0u32..=5000).prop_map(|r| (InterestKind::Fixed, r)),
        ]
    }

    proptest! {
        /// Additive over a split of the period: the exact sums add up exactly, and the amounts, each rounded once,
        /// differ from the whole's by at most one öre: |I(a,c) − I(a,b) − I(b,c)| ≤ 1 öre for a ≤ b ≤ c.
        #[test]
        fn additive_over_a_split(
            principal in 0i64..=10_000_000_000,
            (kind, rate) in kind(),
            a in date_in("2002-07-01", 8900),
            x in 0i64..4000,
            y in 0i64..4000,
        ) {
            let t = ReferensrantaTable::embedded();
            let (b, c) = (a + chrono::Duration::days(x.min(y)), a + chrono::Duration::days(x.max(y)));
            prop_assume!(c < d("2026-07-01"));
            let p = Amount(principal);
            let whole = compute(p, kind, rate, a, c, &t).unwrap();
            let left = compute(p, kind, rate, a, b, &t).unwrap();
            let right = compute(p, kind, rate, b, c, &t).unwrap();
            prop_assert_eq!(whole.exact_numerator, left.exact_numerator + right.exact_numerator);
            prop_assert!((whole.amount.0 - left.amount.0 - right.amount.0).abs() <= 1);
        }

        /// Monotone in time (a later end, or an earlier start, never earns less) and in principal.
        #[test]
        fn monotone(
            p1 in 0i64..=10_000_000_000,
            p2 in 0i64..=10_000_000_000,
            (kind, rate) in kind(),
            a in date_in("2002-07-01", 8900),
            x in 0i64..4000,
            y in 0i64..4000,
        ) {
            let t = ReferensrantaTable::embedded();
            let (short, long) = (a + chrono::Duration::days(x.min(y)), a + chrono::Duration::days(x.max(y)));
            prop_assume!(long < d("2026-07-01"));
            let (lo, hi) = (Amount(p1.min(p2)), Amount(p1.max(p2)));
            let i = |p, from, to| compute(p, kind, rate, from, to, &t).unwrap().amount;
            prop_assert!(i(hi, a, short) <= i(hi, a, long));
            prop_assert!(i(hi, short, long) <= i(hi, a, long));
            prop_assert!(i(lo, a, long) <= i(hi, a, long));
        }

        /// An empty (or reversed) period earns nothing and needs no rate.
        #[test]
        fn zero_for_an_empty_period(
            principal in 0i64..=i64::MAX / 2,
            (kind, rate) in kind(),
            a in date_in("1990-01-01", 20000),
            back in 0i64..1000,
        ) {
            let t = ReferensrantaTable::embedded();
            let c = compute(Amount(principal), kind, rate, a, a - chrono::Duration::days(back), &t).unwrap();
            prop_assert_eq!(c.amount, Amount::ZERO);
            prop_assert!(c.periods.is_empty());
        }
    }
}
