//! Durations written with a unit in scenario files: `"500ms"`, `"90s"`, `"10m"`, `"2h"`
//! (and signed ones, `"-2s"`, for clock offsets). Held as microseconds.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration in microseconds, written with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span(pub i64);

const UNITS: [(&str, i64); 5] = [("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000)];

impl Span {
    pub const fn from_s(seconds: i64) -> Self {
        Span(seconds * 1_000_000)
    }

    pub fn us(self) -> u64 {
        self.0.max(0) as u64
    }

    /// Parses `"90s"`, `"1.5m"`, `"-2s"`.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let scale = UNITS.iter().find(|(name, _)| *name == unit).map(|(_, scale)| *scale);
        match (number.trim().parse::<f64>(), scale) {
            (Ok(value), Some(scale)) if value.is_finite() && value.abs() < 1e12 => Ok(Span((value * scale as f64).round() as i64)),
            _ => Err(format!("invalid duration {text:?}: allowed is a number with a unit, one of us, ms, s, m, h (e.g. \"90s\", \"10m\")")),
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, scale) = UNITS.iter().rev().find(|(_, scale)| self.0 % scale == 0 && self.0 != 0).copied().unwrap_or(("s", 1_000_000));
        write!(f, "{}{name}", self.0 / scale)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Span::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_with_units() {
        // Goal: every unit parses, prints back in the largest exact unit, and junk is refused.
        assert_eq!(Span::parse("90s"), Ok(Span(90_000_000)));
        assert_eq!(Span::parse("10m").unwrap().to_string(), "10m");
        assert_eq!(Span::parse("1.5m").unwrap().to_string(), "90s");
        assert_eq!(Span::parse("-2s"), Ok(Span(-2_000_000)));
        assert_eq!(Span::parse("250ms").unwrap().to_string(), "250ms");
        assert!(Span::parse("10x").is_err());
        assert!(Span::parse("s").is_err());
    }
}
