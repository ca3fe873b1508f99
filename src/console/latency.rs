//! The overview's kvittens latency chart, drawn on the server as inline SVG like [`super::chart`]: per Stockholm
//! day of the kvittens over the last [`super::chart::DAYS`] days, the median and the longest time from a file's
//! sending to its kvittens, from the store's `files` ([`crate::store::Store::kvittens_latencies`], read through the
//! `files_receipted_at` index and bounded by [`MAX_FILES`]).

use super::chart::{Bar, Label, DAYS};
use super::format;
use chrono::{DateTime, Days, NaiveDate, Utc};

/// Files read at most (a file carries up to thousands of cases; a day has a handful).
pub const MAX_FILES: i64 = 20_000;

const WIDTH: i64 = 760;
const HEIGHT: i64 = 200;
const LEFT: i64 = 52;
const RIGHT: i64 = 8;
const TOP: i64 = 12;
const BOTTOM: i64 = 28;

/// One day's latencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyDay {
    /// The day (`2026-11-30`).
    pub day: String,
    /// Files receipted that day.
    pub files: usize,
    /// Median latency in milliseconds (of an even count, the lower middle), if any file.
    pub median: Option<i64>,
    /// Longest latency in milliseconds, if any file.
    pub max: Option<i64>,
}

impl LatencyDay {
    /// The median as text (`4 min 10 s`), or a dash.
    pub fn median_text(&self) -> String {
        self.median.map_or("—".into(), duration_text)
    }
    /// The longest as text, or a dash.
    pub fn max_text(&self) -> String {
        self.max.map_or("—".into(), duration_text)
    }
}

/// The chart, ready for the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyChart {
    /// SVG width.
    pub width: i64,
    /// SVG height.
    pub height: i64,
    /// Bars: the longest (`bar-latency-max`) behind the median (`bar-latency-median`).
    pub bars: Vec<Bar>,
    /// Grid lines' y and value labels.
    pub grid: Vec<Label>,
    /// Day labels under the axis.
    pub days: Vec<Label>,
    /// The figures per day, oldest first.
    pub figures: Vec<LatencyDay>,
    /// Left edge of the plot area.
    pub x0: i64,
    /// Right edge of the plot area.
    pub x1: i64,
    /// Files over the period.
    pub files: usize,
}

/// `ms` milliseconds as people read a wait: `350 ms`, `45 s`, `4 min 10 s`, `2 h 5 min`.
pub fn duration_text(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// Draws the [`DAYS`] days ending with `today` from the files' (sent, receipted) times.
pub fn draw(today: NaiveDate, files: &[(DateTime<Utc>, DateTime<Utc>)]) -> LatencyChart {
    let first = today - Days::new(DAYS - 1);
    let mut per_day: Vec<Vec<i64>> = vec![Vec::new(); DAYS as usize];
    for (sent, receipted) in files {
        let Ok(i) = usize::try_from((format::day_of(*receipted) - first).num_days()) else {
            continue;
        };
        if let Some(d) = per_day.get_mut(i) {
            d.push((*receipted - *sent).num_milliseconds().max(0));
        }
    }
    let figures: Vec<LatencyDay> = per_day
        .iter_mut()
        .enumerate()
        .map(|(i, v)| {
            v.sort_unstable();
            LatencyDay {
                day: (first + Days::new(i as u64)).format("%Y-%m-%d").to_string(),
                files: v.len(),
                median: v.get(v.len().saturating_sub(1) / 2).copied(),
                max: v.last().copied(),
            }
        })
        .collect();
    let top = figures
        .iter()
        .filter_map(|f| f.max)
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let slot = plot_w / DAYS as i64;
    let bar_w = (slot - 6).max(2);
    let mut bars = Vec::new();
    let mut days = Vec::new();
    for (i, f) in figures.iter().enumerate() {
        let x = LEFT + i as i64 * slot + 3;
        for (value, class, what, inset) in [
            (f.max, "bar-latency-max", "longest", 0),
            (f.median, "bar-latency-median", "median", bar_w / 4),
        ] {
            let Some(v) = value else { continue };
            let h = (v * plot_h / top).max(1);
            bars.push(Bar {
                x: x + inset,
                y: base - h,
                w: (bar_w - 2 * inset).max(1),
                h,
                class: class.to_string(),
                title: format!(
                    "{}: {what} {} ({} file(s))",
                    f.day,
                    duration_text(v),
                    f.files
                ),
            });
        }
        if i % 5 == 0 || i + 1 == figures.len() {
            days.push(Label {
                x: x + slot / 2 - 3,
                y: HEIGHT - 8,
                text: f.day.get(5..).unwrap_or(&f.day).to_string(),
            });
        }
    }
    let grid = [top, top / 2, 0]
        .iter()
        .map(|v| Label {
            x: LEFT - 6,
            y: base - v * plot_h / top,
            text: if *v == 0 {
                "0".into()
            } else {
                duration_text(*v)
            },
        })
        .collect();
    LatencyChart {
        width: WIDTH,
        height: HEIGHT,
        bars,
        grid,
        days,
        files: figures.iter().map(|f| f.files).sum(),
        figures,
        x0: LEFT,
        x1: WIDTH - RIGHT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn median_and_longest_per_stockholm_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        let files = vec![
            // Receipted on the 30th: 2, 10 and 4 minutes; the median is 4, the longest 10.
            (at(30, 8, 0), at(30, 8, 2)),
            (at(30, 9, 0), at(30, 9, 10)),
            (at(30, 10, 0), at(30, 10, 4)),
            // Sent on the 28th, receipted 23:30 UTC on the 28th: the 29th in Stockholm; 90 minutes.
            (at(28, 22, 0), at(28, 23, 30)),
            // Receipted before the period: left out.
            (
                at(1, 0, 0) - Duration::days(40),
                at(1, 1, 0) - Duration::days(40),
            ),
        ];
        let c = draw(today, &files);
        assert_eq!(c.figures.len(), 30);
        let last = &c.figures[29];
        assert_eq!(
            (last.files, last.median, last.max),
            (3, Some(240_000), Some(600_000))
        );
        assert_eq!(c.figures[28].median, Some(5_400_000));
        assert_eq!(c.figures[0].median, None);
        assert_eq!(c.files, 4);
        // Two bars per day with files; the longest of the period fills the plot.
        assert_eq!(c.bars.len(), 4);
        let longest = c
            .bars
            .iter()
            .find(|b| b.title.contains("longest 1 h 30 min"))
            .unwrap();
        assert_eq!(longest.y, TOP);
        let median = c
            .bars
            .iter()
            .find(|b| b.title.starts_with("2026-11-30: median 4 min"))
            .unwrap();
        assert_eq!(median.class, "bar-latency-median");
        assert_eq!(c.grid[0].text, "1 h 30 min");
        assert_eq!(last.median_text(), "4 min");
        assert_eq!(duration_text(250_000), "4 min 10 s");
        assert_eq!(duration_text(45_999), "45 s");
        assert_eq!(duration_text(350), "350 ms");
    }
}
