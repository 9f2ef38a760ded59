//! Where a JSON string's plain run stops (a quote, a backslash or a
//! control byte), eight bytes at a time: the hand-written entry reader
//! ([`super::native`]) reads a string up to it, and the split's structural
//! scan ([`super::split`]) skips a string's bytes up to it.
//!
//! Why: strings in artifacts are short (keys, label values), where a call
//! to `memchr2` costs more than it saves.
//!
//! Also where JSON's whitespace is named once ([`is_space`]), for every
//! reader that skips it between values.

/// Whether `b` is JSON whitespace (space, `\n`, `\r`, `\t`).
#[inline]
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Where a string's plain run stops: the first `"`, `\\` or control
/// byte of `bytes`, if any. Eight bytes at a time, for each byte b of the word
/// flagging b ^ '"' == 0, b ^ '\\' == 0 and b < 0x20 with the
/// `(x - ONES) & !x & HIGH` test, which flags the first such byte (and
/// only bytes after it wrongly: a borrow runs upward), so the lowest flag
/// is the answer. Most strings end within a word or two, which a call to
/// `memchr2` and a separate check for control characters cost more than.
pub fn stop_byte(bytes: &[u8]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// A string's end is found eight bytes at a time where a byte at a
        /// time finds it, wherever in a word the stop byte falls, whatever
        /// bytes come after it.
        #[test]
        fn a_string_ends_where_a_byte_at_a_time_says(
            bytes in prop::collection::vec(prop_oneof![
                20 => b'a'..=b'z',
                1 => Just(b'"'),
                1 => Just(b'\\'),
                1 => 0..0x20u8,
                1 => Just(0x20u8),
                2 => 0x7fu8..=0xff,
            ], 0..40),
        ) {
            let slow = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(stop_byte(&bytes), slow);
        }
    }
}
