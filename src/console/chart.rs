//! The overview's chart, drawn on the server as inline SVG (no script, no image request): cases sent, accepted and
//! rejected per Stockholm day over the last [`DAYS`] days, as grouped bars with a value title on each bar.

use super::format;
use crate::domain::CaseState;
use crate::store::console::StateChangesInHour;
use chrono::{Days, NaiveDate};

/// Days shown.
pub const DAYS: u64 = 30;
/// The series, in drawing order.
pub const SERIES: &[CaseState] = CaseState::CHARTED;

const WIDTH: i64 = 760;
const HEIGHT: i64 = 240;
const LEFT: i64 = 44;
const RIGHT: i64 = 8;
const TOP: i64 = 12;
const BOTTOM: i64 = 28;

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Width.
    pub w: i64,
    /// Height.
    pub h: i64,
    /// CSS class (`bar-sent`, …: the colour).
    pub class: String,
    /// Tooltip: day, series and count.
    pub title: String,
}

/// A text label at a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// x.
    pub x: i64,
    /// y.
    pub y: i64,
    /// Text.
    pub text: String,
}

/// One day's figures (also shown as a table under the chart, for screen readers and exact numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    /// The day (`2026-11-30`).
    pub day: String,
    /// Count per series, in [`SERIES`] order.
    pub counts: [i64; 3],
}

/// The chart, ready for the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// SVG width.
    pub width: i64,
    /// SVG height.
    pub height: i64,
    /// The bars (zero counts draw none).
    pub bars: Vec<Bar>,
    /// Horizontal grid lines' y and value labels.
    pub grid: Vec<Label>,
    /// Day labels under the axis.
    pub days: Vec<Label>,
    /// The figures per day, oldest first.
    pub figures: Vec<DayFigures>,
    /// Series names with their CSS class, for the legend.
    pub legend: Vec<(String, String)>,
    /// Totals per series over the period, in [`SERIES`] order.
    pub totals: [i64; 3],
    /// Left and right x of the plot area.
    pub x0: i64,
    /// Right edge of the plot area.
    pub x1: i64,
    /// The baseline's y.
    pub base: i64,
}

/// Draws the chart of the [`DAYS`] days ending with `today` from the hourly counts.
pub fn draw(today: NaiveDate, changes: &[StateChangesInHour]) -> Chart {
    let first = today - Days::new(DAYS - 1);
    let mut figures: Vec<DayFigures> = (0..DAYS)
        .map(|i| DayFigures {
            day: (first + Days::new(i)).format("%Y-%m-%d").to_string(),
            counts: [0; 3],
        })
        .collect();
    for c in changes {
        let day = format::day_of(c.hour);
        let Ok(i) = usize::try_from((day - first).num_days()) else {
            continue;
        };
        if let (Some(f), Some(s)) = (
            figures.get_mut(i),
            SERIES.iter().position(|s| *s == c.state),
        ) {
            f.counts[s] += c.count;
        }
    }
    let max = figures
        .iter()
        .flat_map(|f| f.counts)
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let slot = plot_w / DAYS as i64;
    let bar_w = ((slot - 4) / 3).max(1);
    let mut bars = Vec::new();
    let mut days = Vec::new();
    let mut totals = [0i64; 3];
    for (i, f) in figures.iter().enumerate() {
        let x = LEFT + i as i64 * slot + 2;
        for (s, state) in SERIES.iter().enumerate() {
            let n = f.counts[s];
            totals[s] += n;
            if n == 0 {
                continue;
            }
            let h = (n * plot_h / max).max(1);
            bars.push(Bar {
                x: x + s as i64 * bar_w,
                y: base - h,
                w: bar_w,
                h,
                class: format!("bar-{state}"),
                title: format!("{}: {n} {state}", f.day),
            });
        }
        if i % 5 == 0 || i + 1 == figures.len() {
            days.push(Label {
                x: x + slot / 2 - 2,
                y: HEIGHT - 8,
                text: f.day.get(5..).unwrap_or(&f.day).to_string(),
            });
        }
    }
    let grid = [max, max / 2, 0]
        .iter()
        .map(|v| Label {
            x: LEFT - 6,
            y: base - v * plot_h / max,
            text: v.to_string(),
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        bars,
        grid,
        days,
        figures,
        legend: SERIES
            .iter()
            .map(|s| (s.to_string(), format!("bar-{s}")))
            .collect(),
        totals,
        x0: LEFT,
        x1: WIDTH - RIGHT,
        base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn counts_land_on_their_stockholm_day_and_scale_to_the_highest() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let changes = vec![
            // 23:00 UTC on the 28th is the 29th in Stockholm.
            StateChangesInHour {
                hour: Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).unwrap(),
                state: CaseState::Sent,
                count: 4,
            },
            StateChangesInHour {
                hour: Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap(),
                state: CaseState::Rejected,
                count: 2,
            },
            // Before the period: ignored.
            StateChangesInHour {
                hour: Utc.with_ymd_and_hms(2026, 10, 1, 10, 0, 0).unwrap(),
                state: CaseState::Accepted,
                count: 9,
            },
        ];
        let c = draw(today, &changes);
        assert_eq!(c.figures.len(), 30);
        assert_eq!(c.figures[0].day, "2026-11-01");
        assert_eq!(c.figures[28].counts, [4, 0, 0]);
        assert_eq!(c.figures[29].counts, [0, 0, 2]);
        assert_eq!(c.totals, [4, 0, 2]);
        assert_eq!(c.bars.len(), 2);
        let sent = &c.bars[0];
        assert_eq!(sent.class, "bar-sent");
        // The highest count fills the plot height; half of it, half the height.
        assert_eq!(sent.y, TOP);
        assert_eq!(c.bars[1].h, sent.h / 2);
        assert_eq!(c.grid[0].text, "4");
    }
}
