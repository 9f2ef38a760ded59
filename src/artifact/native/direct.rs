//! One native entry read straight from the window's text, by hand, into the
//! same [`MetricEntry`] serde would make of it: the one pass's reader for
//! the entries it meets by the thousand.
//!
//! Why: serde's derived reader (field names matched through visitors, every
//! value through `deserialize_any`, `Object`, `present`, `Str`) was 622 M of
//! the 1,218 M instructions of `validate` on 100,000 series. This reader
//! walks the bytes once, matches a key by its text, and borrows every string
//! from the window.
//!
//! It never refuses anything itself. It reads what it can read with
//! certainty (strings without escapes or control characters, JSON's four
//! whitespace bytes, the keys of an entry each once, numbers whose value is
//! exact, see [`Cursor::number`]) and calls anything else
//! [`Quick::Unusual`]: serde then reads that entry, as it reads every entry
//! without this reader, and accepts it or stops the pass exactly as before.
//! So what it accepts, serde accepts too, as the same value (the property
//! test below holds the two together).

use std::borrow::Cow;

use super::{Bucket, Labels, MetricEntry, Quantile};
use crate::artifact::number::{special, whole, Count, Le, Num};
use crate::artifact::strict::Object;
use crate::artifact::window::Quick;
use crate::model::Kind;

/// The entry `text` starts with (past any whitespace), if this reader can
/// read it, and the bytes it took; or why not.
pub(in crate::artifact) fn entry(text: &str) -> Quick<Object<MetricEntry<'_>>> {
    let mut c = Cursor { text, at: 0 };
    match c.entry() {
        Ok(m) => Quick::Read(Object(m), c.at),
        Err(Miss::More) => Quick::More,
        Err(Miss::Unusual) => Quick::Unusual,
    }
}

/// Why the reader gave up.
enum Miss {
    /// The text ended first.
    More,
    /// Something left to serde.
    Unusual,
}

type Got<T> = Result<T, Miss>;

/// A JSON number as serde_json hands it to a visitor.
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// 10^0 to 10^22: the powers of ten an f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Where the first `"`, `\\` or control character of `bytes` is: what ends
/// a string's plain run. Eight bytes at a time, for each byte b of the word
/// flagging b ^ '"' == 0, b ^ '\\' == 0 and b < 0x20 with the
/// `(x - ONES) & !x & HIGH` test, which flags the first such byte (and
/// only bytes after it wrongly: a borrow runs upward), so the lowest flag
/// is the answer. Most strings end within a word or two, which a call to
/// `memchr2` and a separate check for control characters cost more than.
#[inline]
fn stop_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        if flags & HIGH != 0 {
            return Some(i + (flags & HIGH).trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    let tail = bytes[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
    tail.map(|p| i + p)
}

/// The keys this reader knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Type,
    Help,
    Labels,
    Value,
    Buckets,
    Quantiles,
    Sum,
    Count,
    Le,
    Quantile,
    Other,
}

/// A key, matched byte by byte: a `match` on the `&str` compares through
/// `memcmp` (47 M instructions on 100,000 series, where five keys share a
/// length).
fn key(k: &str) -> Key {
    match k.as_bytes() {
        [b'n', b'a', b'm', b'e'] => Key::Name,
        [b't', b'y', b'p', b'e'] => Key::Type,
        [b'h', b'e', b'l', b'p'] => Key::Help,
        [b'l', b'a', b'b', b'e', b'l', b's'] => Key::Labels,
        [b'v', b'a', b'l', b'u', b'e'] => Key::Value,
        [b'b', b'u', b'c', b'k', b'e', b't', b's'] => Key::Buckets,
        [b'q', b'u', b'a', b'n', b't', b'i', b'l', b'e', b's'] => Key::Quantiles,
        [b's', b'u', b'm'] => Key::Sum,
        [b'c', b'o', b'u', b'n', b't'] => Key::Count,
        [b'l', b'e'] => Key::Le,
        [b'q', b'u', b'a', b'n', b't', b'i', b'l', b'e'] => Key::Quantile,
        _ => Key::Other,
    }
}

/// Set `slot` to `v` unless a key has filled it already.
fn once<T>(slot: &mut Option<T>, v: T) -> Got<()> {
    match slot.replace(v) {
        None => Ok(()),
        Some(_) => Err(Miss::Unusual),
    }
}

/// A place in the text.
struct Cursor<'de> {
    text: &'de str,
    at: usize,
}

impl<'de> Cursor<'de> {
    /// The byte at `i`; past the text, [`Miss::More`].
    #[inline]
    fn byte(&self, i: usize) -> Got<u8> {
        self.text.as_bytes().get(i).copied().ok_or(Miss::More)
    }

    /// The next byte past JSON whitespace, not taken.
    #[inline]
    fn peek(&mut self) -> Got<u8> {
        loop {
            match self.byte(self.at)? {
                b' ' | b'\n' | b'\r' | b'\t' => self.at += 1,
                b => return Ok(b),
            }
        }
    }

    /// Take `b`, which must come next.
    #[inline]
    fn eat(&mut self, b: u8) -> Got<()> {
        if self.peek()? != b {
            return Err(Miss::Unusual);
        }
        self.at += 1;
        Ok(())
    }

    /// Take `end` if it comes next, or a `,` before another item.
    #[inline]
    fn end_or_comma(&mut self, end: u8) -> Got<bool> {
        match self.peek()? {
            b',' => {
                self.at += 1;
                Ok(false)
            }
            b if b == end => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(Miss::Unusual),
        }
    }

    /// A string with no escape and no control character, borrowed.
    #[inline]
    fn string(&mut self) -> Got<&'de str> {
        self.eat(b'"')?;
        let rest = &self.text.as_bytes()[self.at..];
        let len = stop_byte(rest).ok_or(Miss::More)?;
        if rest[len] != b'"' {
            return Err(Miss::Unusual);
        }
        // Both ends are ASCII quotes: character boundaries.
        let s = &self.text[self.at..self.at + len];
        self.at += len + 1;
        Ok(s)
    }

    /// `{"key": value, …}`, each value read by `field` given its key.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'de str) -> Got<()>) -> Got<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            field(self, key)?;
            if self.end_or_comma(b'}')? {
                return Ok(());
            }
        }
    }

    /// `[item, …]`.
    fn list<T>(&mut self, item: impl Fn(&mut Self) -> Got<T>) -> Got<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            if self.end_or_comma(b']')? {
                return Ok(out);
            }
        }
    }

    /// Digits from `self.at` on, added to `sig`: how many. One that would
    /// overflow `sig` is [`Miss::Unusual`] (serde then reads on in floats).
    #[inline]
    fn digits(&mut self, sig: &mut u64) -> Got<i32> {
        let mut n = 0;
        loop {
            let d = self.byte(self.at)?.wrapping_sub(b'0');
            if d > 9 {
                return Ok(n);
            }
            *sig = sig
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(d)))
                .ok_or(Miss::Unusual)?;
            self.at += 1;
            n += 1;
        }
    }

    /// A number, as serde_json would hand it over: an integer that fits
    /// as serde_json's `parse_integer` gives it (`-0` and below `i64::MIN`
    /// as floats); a decimal or exponent form only where its value is
    /// certain, a significand up to 2^53 and a power of ten within ±22
    /// (one exact product or quotient, correctly rounded: what any
    /// correctly rounding parser gives, and serde_json's with or without
    /// `float_roundtrip`).
    fn number(&mut self) -> Got<Number> {
        self.peek()?;
        let negative = self.byte(self.at)? == b'-';
        self.at += usize::from(negative);
        let first = self.byte(self.at)?;
        let mut sig = 0;
        let n = self.digits(&mut sig)?;
        if n == 0 || (first == b'0' && n > 1) {
            return Err(Miss::Unusual);
        }
        let mut exp = 0;
        let mut float = false;
        if self.byte(self.at)? == b'.' {
            self.at += 1;
            float = true;
            match self.digits(&mut sig)? {
                0 => return Err(Miss::Unusual),
                n => exp -= n,
            }
        }
        if matches!(self.byte(self.at)?, b'e' | b'E') {
            self.at += 1;
            float = true;
            exp += self.exponent()?;
        }
        if !float {
            return Ok(integer(negative, sig));
        }
        let pow = POW10
            .get(exp.unsigned_abs() as usize)
            .ok_or(Miss::Unusual)?;
        if sig > 1 << 53 {
            return Err(Miss::Unusual);
        }
        let f = if exp >= 0 {
            sig as f64 * pow
        } else {
            sig as f64 / pow
        };
        Ok(Number::F64(if negative { -f } else { f }))
    }

    /// An exponent's sign and digits, past the `e`; one past ±400 is
    /// [`Miss::Unusual`].
    fn exponent(&mut self) -> Got<i32> {
        let negative = self.byte(self.at)? == b'-';
        if matches!(self.byte(self.at)?, b'+' | b'-') {
            self.at += 1;
        }
        let mut e = 0;
        match self.digits(&mut e)? {
            0 => Err(Miss::Unusual),
            _ if e > 400 => Err(Miss::Unusual),
            _ if negative => Ok(-(e as i32)),
            _ => Ok(e as i32),
        }
    }

    /// A number only, as an `f64` reads it (a quantile).
    fn float(&mut self) -> Got<f64> {
        Ok(match self.number()? {
            Number::U64(v) => v as f64,
            Number::I64(v) => v as f64,
            Number::F64(v) => v,
        })
    }

    /// A [`Num`] (or, `inf_only`, an [`Le`]): a number or a string among
    /// [`special`]'s.
    fn num(&mut self, inf_only: bool) -> Got<f64> {
        if self.peek()? == b'"' {
            return special(self.string()?, inf_only).ok_or(Miss::Unusual);
        }
        self.float()
    }

    /// A [`Count`].
    fn count(&mut self) -> Got<u64> {
        match self.number()? {
            Number::U64(v) => Ok(v),
            Number::I64(_) => Err(Miss::Unusual),
            Number::F64(v) => whole(v).ok_or(Miss::Unusual),
        }
    }
}

/// An integer as serde_json's `parse_number` gives it.
fn integer(negative: bool, sig: u64) -> Number {
    if !negative {
        return Number::U64(sig);
    }
    let neg = (sig as i64).wrapping_neg();
    if neg >= 0 {
        Number::F64(-(sig as f64))
    } else {
        Number::I64(neg)
    }
}

impl<'de> Cursor<'de> {
    /// An entry: `name` and `type` required, each key once, no other key.
    fn entry(&mut self) -> Got<MetricEntry<'de>> {
        let (mut name, mut kind, mut help, mut labels) = (None, None, None, None);
        let (mut value, mut buckets, mut quantiles, mut sum, mut count) =
            (None, None, None, None, None);
        self.object(|c, k| match key(k) {
            Key::Name => once(&mut name, c.string()?),
            Key::Type => {
                let k = Kind::from_name(c.string()?).ok_or(Miss::Unusual)?;
                once(&mut kind, k)
            }
            Key::Help => once(&mut help, c.string()?),
            Key::Labels => once(&mut labels, c.labels()?),
            Key::Value => once(&mut value, Num(c.num(false)?)),
            Key::Buckets => once(&mut buckets, c.list(Cursor::bucket)?),
            Key::Quantiles => once(&mut quantiles, c.list(Cursor::quantile)?),
            Key::Sum => once(&mut sum, Num(c.num(false)?)),
            Key::Count => once(&mut count, Count(c.count()?)),
            _ => Err(Miss::Unusual),
        })?;
        Ok(MetricEntry {
            name: Cow::Borrowed(name.ok_or(Miss::Unusual)?),
            kind: kind.ok_or(Miss::Unusual)?,
            // As serde's `default`.
            help: help.map_or_else(Cow::default, Cow::Borrowed),
            labels: labels.unwrap_or_default(),
            value,
            buckets,
            quantiles,
            sum,
            count,
        })
    }

    /// A label object, sorted by name as [`Labels`]'s reader sorts it; a
    /// name given twice is left to that reader (which refuses it).
    fn labels(&mut self) -> Got<Labels<'de>> {
        let mut pairs = Vec::with_capacity(4);
        self.object(|c, k| {
            pairs.push((Cow::Borrowed(k), Cow::Borrowed(c.string()?)));
            Ok(())
        })?;
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(Miss::Unusual);
        }
        Ok(Labels(pairs))
    }

    fn bucket(&mut self) -> Got<Object<Bucket>> {
        let (mut le, mut count) = (None, None);
        self.object(|c, k| match key(k) {
            Key::Le => once(&mut le, Le(c.num(true)?)),
            Key::Count => once(&mut count, Count(c.count()?)),
            _ => Err(Miss::Unusual),
        })?;
        let le = le.ok_or(Miss::Unusual)?;
        let count = count.ok_or(Miss::Unusual)?;
        Ok(Object(Bucket { le, count }))
    }

    fn quantile(&mut self) -> Got<Object<Quantile>> {
        let (mut quantile, mut value) = (None, None);
        self.object(|c, k| match key(k) {
            Key::Quantile => once(&mut quantile, c.float()?),
            Key::Value => once(&mut value, Num(c.num(false)?)),
            _ => Err(Miss::Unusual),
        })?;
        let quantile = quantile.ok_or(Miss::Unusual)?;
        let value = value.ok_or(Miss::Unusual)?;
        Ok(Object(Quantile { quantile, value }))
    }
}

#[cfg(test)]
mod tests;
