//! The sample values of the promtool tests: a value just outside a bound
//! (alice's), one inside every bound (bob's), both within the `valid`
//! range, and Prometheus's rendering of values (`{{ $value }}`, Go's `%v`;
//! `humanize`, `humanize1024`) and durations, so the expected annotations
//! match what promtool renders.

use super::Bounds;

/// Which side of an `expect` range a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Min,
    Max,
}

/// A promtool series: a start value and an increment per step.
#[derive(Debug, Clone, Copy)]
pub(super) struct Values(pub f64, pub f64);

impl Values {
    pub(super) fn render(self, steps: u64) -> String {
        let Values(v, inc) = self;
        if inc == 0.0 {
            format!("{v}x{steps}")
        } else {
            format!("{v}+{inc}x{steps}")
        }
    }
}

/// A value outside a bound but still valid: what promtool feeds alice.
pub(super) fn outside(side: Side, bound: f64, valid: Bounds) -> f64 {
    match side {
        Side::Max => {
            let v = bound + bound.abs().max(1.0);
            valid
                .max
                .map_or(v, |hi| if v > hi { (bound + hi) / 2.0 } else { v })
        }
        Side::Min => {
            let v = if bound > 0.0 {
                bound / 2.0
            } else {
                bound - 1.0
            };
            valid
                .min
                .map_or(v, |lo| if v < lo { (bound + lo) / 2.0 } else { v })
        }
    }
}

/// A value inside the expected (and valid) bounds: what promtool feeds bob.
pub(super) fn inside(expect: Bounds, valid: Bounds) -> f64 {
    let b = Bounds {
        min: expect.min.or(valid.min),
        max: expect.max.or(valid.max),
    };
    match (b.min, b.max) {
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (None, Some(hi)) if hi > 0.0 => hi / 2.0,
        (None, Some(hi)) => hi - 1.0,
        (Some(lo), None) if lo > 0.0 => lo * 2.0,
        (Some(lo), None) => lo + 1.0,
        (None, None) => 0.0,
    }
}

/// Prometheus's `humanizeDuration`: days to minutes with whole seconds,
/// else seconds (or ms, us, …) to four significant digits.
pub(super) fn humanize_duration(v: f64) -> String {
    if !v.is_finite() {
        return go_g(v, Some(4));
    }
    if v == 0.0 {
        return format!("{}s", go_g(v, Some(4)));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        let secs = v.abs().trunc() as u64;
        let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        return if d > 0 {
            format!("{sign}{d}d {h}h {m}m {s}s")
        } else if h > 0 {
            format!("{sign}{h}h {m}m {s}s")
        } else if m > 0 {
            format!("{sign}{m}m {s}s")
        } else {
            format!("{sign}{}s", go_g(v.abs(), Some(4)))
        };
    }
    let (v, prefix) = scale_down(v);
    format!("{}{prefix}s", go_g(v, Some(4)))
}

/// A value below 1 scaled up by thousands, with its SI prefix.
fn scale_down(mut v: f64) -> (f64, &'static str) {
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    (v, prefix)
}

/// Go's `%g` (`precision` `None`: shortest, as `%v` prints a float, which is
/// how Prometheus renders `{{ $value }}`; `Some(p)`: `%.pg`): exponent form
/// when the exponent is below -4 or at least the precision (6 when
/// shortest), with at least two exponent digits; no trailing zeros.
pub(super) fn go_g(v: f64, precision: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's exponent form gives the same digits as Go: the shortest that
    // round-trips, or exactly rounded, ties to even.
    let e = match precision {
        None => format!("{:e}", v.abs()),
        Some(p) => format!("{:.*e}", p.max(1) - 1, v.abs()),
    };
    let (mantissa, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let digits = mantissa.replace('.', "");
    let digits = digits.trim_end_matches('0');
    let sign = if v < 0.0 { "-" } else { "" };
    let eprec = precision.map_or(6, |p| p.max(1) as i32);
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    let dp = exp + 1;
    let nd = digits.len() as i32;
    let body = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp >= nd {
        format!("{digits}{}", "0".repeat((dp - nd) as usize))
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// Prometheus's `humanize`: SI prefixes, four significant digits.
pub(super) fn humanize(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g(v, Some(4));
    }
    let (mut v, mut prefix) = (v, "");
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        (v, prefix) = scale_down(v);
    }
    format!("{}{prefix}", go_g(v, Some(4)))
}

/// Prometheus's `humanize1024`: binary prefixes, four significant digits.
pub(super) fn humanize1024(v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return go_g(v, Some(4));
    }
    let (mut v, mut prefix) = (v, "");
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g(v, Some(4)))
}

/// How an alert's summary shows the value to people, by the metric's
/// `unit`: bytes in binary prefixes, seconds as a duration, ratios and
/// percentages as they are (`500m` of a ratio helps nobody), anything else
/// in SI prefixes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Human {
    Si,
    Binary,
    Duration,
    Exact,
}

impl Human {
    pub(super) fn of(unit: Option<&str>) -> Human {
        match unit {
            Some("bytes" | "byte") => Human::Binary,
            Some("seconds" | "second" | "s") => Human::Duration,
            Some("ratio" | "percent" | "%") => Human::Exact,
            _ => Human::Si,
        }
    }

    /// The Prometheus template that renders the alert's value.
    pub(super) fn template(self) -> &'static str {
        match self {
            Human::Si => "{{ $value | humanize }}",
            Human::Binary => "{{ $value | humanize1024 }}",
            Human::Duration => "{{ $value | humanizeDuration }}",
            Human::Exact => "{{ $value }}",
        }
    }

    /// What that template renders for `v`.
    pub(super) fn render(self, v: f64) -> String {
        match self {
            Human::Si => humanize(v),
            Human::Binary => humanize1024(v),
            Human::Duration => humanize_duration(v),
            Human::Exact => go_g(v, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expected string is what Go's `fmt` / Prometheus print.
    #[test]
    fn values_render_as_prometheus_renders_them() {
        let v = |x| go_g(x, None);
        assert_eq!(v(8e10), "8e+10");
        assert_eq!(v(1e6), "1e+06");
        assert_eq!(v(999999.0), "999999");
        assert_eq!(v(1234567.0), "1.234567e+06");
        assert_eq!(v(0.00001), "1e-05");
        assert_eq!(v(5e-6), "5e-06");
        assert_eq!(v(0.0001), "0.0001");
        assert_eq!(v(1.00001), "1.00001");
        assert_eq!(v(-2.5), "-2.5");
        assert_eq!(v(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(v(1e100), "1e+100");
        assert_eq!(v(0.0), "0");
        assert_eq!(go_g(12345.0, Some(4)), "1.234e+04", "ties to even");
        assert_eq!(go_g(80.0, Some(4)), "80");
        assert_eq!(humanize(8e10), "80G");
        assert_eq!(humanize(1_500_000.0), "1.5M");
        assert_eq!(humanize(2e6), "2M");
        assert_eq!(humanize(123.456), "123.5");
        assert_eq!(humanize(0.5), "500m");
        assert_eq!(humanize(5e-6), "5u");
        assert_eq!(humanize(0.0), "0");
        assert_eq!(humanize1024(1024.0 * 1024.0 * 3.0), "3Mi");
        assert_eq!(humanize1024(1.0), "1");
        assert_eq!(humanize1024(1536.0), "1.5ki");
        assert_eq!(humanize_duration(14400.0), "4h 0m 0s");
        assert_eq!(humanize_duration(90.5), "1m 30s");
        assert_eq!(humanize_duration(1.5), "1.5s");
        assert_eq!(humanize_duration(0.25), "250ms");
    }
}
