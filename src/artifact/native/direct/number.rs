//! JSON numbers for [`super`]'s reader, taken exactly as serde_json
//! hands them to a visitor, or left to serde where their value is not
//! certain.

use super::{Cursor, Got, Miss};

/// A JSON number as serde_json hands it to a visitor.
pub(super) enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// 10^0 to 10^22: the powers of ten an f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

impl Cursor<'_> {
    /// Digits from `self.at` on, added to `sig`: how many. One that would
    /// overflow `sig` is [`Miss::Unusual`] (serde then reads on in floats).
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
    /// as floats); a decimal or exponent form with a significand of up to
    /// 2^53 and a power of ten within ±22 by one exact product or quotient,
    /// and one whose digits fit in a u64 (any 19, some 20) otherwise by
    /// [`rounded`]. More digits are left to serde.
    pub(super) fn number(&mut self) -> Got<Number> {
        self.peek()?;
        let start = self.at;
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
        match POW10.get(exp.unsigned_abs() as usize) {
            Some(pow) if sig <= 1 << 53 => {
                let f = if exp >= 0 {
                    sig as f64 * pow
                } else {
                    sig as f64 / pow
                };
                Ok(Number::F64(if negative { -f } else { f }))
            }
            _ => rounded(&self.text[start..self.at], sig),
        }
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
}

/// A decimal whose digits fit in a u64 but that one exact product can't
/// give (what Python writes for most floats: `0.8734912345678901`), read
/// by std's parser, which rounds correctly, as serde_json's own does with
/// its `float_roundtrip` feature (Cargo.toml turns it on): the same value
/// to the bit. Out of range (serde refuses it), and underflow to a
/// subnormal or zero, are left to serde.
fn rounded(text: &str, sig: u64) -> Got<Number> {
    let f: f64 = text.parse().map_err(|_| Miss::Unusual)?;
    if f.is_normal() || (sig == 0 && f == 0.0) {
        Ok(Number::F64(f))
    } else {
        Err(Miss::Unusual)
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
