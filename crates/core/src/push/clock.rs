//! The offset between this device's clock and the server's, measured from HTTP `Date` headers.
//!
//! A `Date` header has one-second resolution and is written at some instant between sending the
//! request (`t_send`) and receiving the response (`t_recv`), so each response bounds the offset
//! `server - local` to `[date - t_recv, date + 1 s - t_send]`. Intersecting the bounds of
//! several responses narrows it well below a second. When the intersection comes out empty, the
//! local clock was changed: the estimator starts over from the latest response.

use std::collections::VecDeque;

use serde::Serialize;

/// How many recent responses the estimate keeps.
const KEPT: usize = 16;

/// The measured offset of the server's clock from the local one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockOffset {
    /// Server time minus local time, in milliseconds (positive: the local clock is behind).
    pub offset_ms: i64,
    /// Half the width of the interval the offset is known to lie in, in milliseconds.
    pub uncertainty_ms: i64,
}

impl ClockOffset {
    /// Whether the drift could make TOTP codes fail: a server that accepts `window` steps of
    /// `period` seconds either side of now refuses codes once the clocks are further apart.
    pub fn endangers_totp(&self, period_seconds: u32, window: u32) -> bool {
        let tolerance_ms = i64::from(period_seconds) * 1000 * i64::from(window.max(1));
        // Warn half a step early: codes near the step boundary fail first.
        self.offset_ms.abs() + self.uncertainty_ms > tolerance_ms / 2 + tolerance_ms / 4
    }

    /// The offset rounded to whole seconds.
    pub fn seconds(&self) -> i64 {
        (self.offset_ms as f64 / 1000.0).round() as i64
    }
}

/// Collects `Date` observations and intersects their bounds.
#[derive(Debug, Default, Clone)]
pub struct ClockEstimator {
    bounds: VecDeque<(i64, i64)>,
}

impl ClockEstimator {
    /// An estimator with no observations.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one response: local send and receive times and the `Date` header (all in Unix
    /// milliseconds; `date_ms` is a whole second).
    pub fn observe(&mut self, sent_ms: i64, received_ms: i64, date_ms: i64) {
        let bound = (date_ms - received_ms, date_ms + 1000 - sent_ms);
        if bound.0 > bound.1 {
            return;
        }
        let (lo, hi) = self.intersection().unwrap_or(bound);
        if bound.0.max(lo) > bound.1.min(hi) {
            // Disjoint: one of the clocks jumped. Only the latest observation is current.
            self.bounds.clear();
        }
        self.bounds.push_back(bound);
        while self.bounds.len() > KEPT {
            self.bounds.pop_front();
        }
    }

    /// The current estimate, once something was observed.
    pub fn offset(&self) -> Option<ClockOffset> {
        let (lo, hi) = self.intersection()?;
        Some(ClockOffset {
            offset_ms: lo + (hi - lo) / 2,
            uncertainty_ms: (hi - lo + 1) / 2,
        })
    }

    fn intersection(&self) -> Option<(i64, i64)> {
        let mut it = self.bounds.iter();
        let first = *it.next()?;
        let (lo, hi) = it.fold(first, |(lo, hi), &(l, h)| (lo.max(l), hi.min(h)));
        // Observations that drifted apart by rounding leave an empty set: fall back to the last.
        if lo > hi {
            return self.bounds.back().copied();
        }
        Some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response whose Date header a server `offset` ms ahead wrote at `local_ms`.
    fn date_at(local_ms: i64, offset: i64) -> i64 {
        (local_ms + offset).div_euclid(1000) * 1000
    }

    #[test]
    fn many_quick_responses_pin_the_offset_well_below_a_second() {
        let offset = 42_317;
        let mut e = ClockEstimator::new();
        let mut t = 1_700_000_000_000i64;
        for _ in 0..16 {
            t += 137; // responses at varying sub-second phases
            e.observe(t, t + 20, date_at(t + 10, offset));
        }
        let got = e.offset().unwrap();
        assert!(
            (got.offset_ms - offset).abs() <= got.uncertainty_ms,
            "{got:?}"
        );
        assert!(got.uncertainty_ms < 200, "{got:?}");
        assert_eq!(got.seconds(), 42);
    }

    #[test]
    fn a_local_clock_jump_restarts_the_estimate() {
        let mut e = ClockEstimator::new();
        let t = 1_700_000_000_000i64;
        e.observe(t, t + 10, date_at(t + 5, 0));
        assert!(e.offset().unwrap().offset_ms.abs() < 1000);
        // The local clock jumps back two minutes: the server now looks 120 s ahead.
        let t2 = t - 120_000 + 5000;
        e.observe(t2, t2 + 10, date_at(t2 + 5, 120_000));
        let got = e.offset().unwrap();
        assert!((got.offset_ms - 120_000).abs() <= 1000, "{got:?}");
    }

    #[test]
    fn totp_warning_follows_the_drift() {
        let small = ClockOffset {
            offset_ms: 3_000,
            uncertainty_ms: 500,
        };
        let large = ClockOffset {
            offset_ms: -40_000,
            uncertainty_ms: 500,
        };
        assert!(!small.endangers_totp(30, 1));
        assert!(large.endangers_totp(30, 1));
        assert!(!large.endangers_totp(30, 3));
    }
}
