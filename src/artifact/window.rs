//! A bounded window over a reader, from which JSON values are taken one at
//! a time: what lets [`super::onepass`] read an artifact of any size in a
//! fixed amount of memory, instead of holding the whole file (23 MB for
//! 100,000 series) until the last entry is read.
//!
//! serde_json reads a whole `str` or slice, or an `io::Read`. The `str`
//! reader is the fast one: it lends strings without copying them and
//! without checking their UTF-8 again; the `io::Read` one copies every
//! byte through a scratch buffer. The window keeps the `str` reader: what
//! is read is checked as UTF-8 once, as it comes in, and each value is
//! parsed from the text read so far. A value cut by the window's end
//! (serde_json then says "EOF", and
//! [`serde_json::StreamDeserializer::byte_offset`] is documented for this
//! retry) is parsed again once more has been read. Only the value being
//! read has to fit, so the window stays about [`CHUNK`] unless one value
//! is bigger than that.
//!
//! A value may also be read by a hand-written reader of its bytes first
//! ([`Window::lend_quick`]), with serde for what that one leaves.
//!
//! Anything unexpected (a read error, a syntax error, a value its type
//! refuses) is a [`Stop`]: the caller then takes the long way, which reads
//! everything and says what is wrong.

use std::io::{self, Read};
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::stop::is_space;

/// How much is read at a time, and the window's size unless a single value
/// needs more. Big enough that refills (and the retry of the value they
/// cut) are rare: one per ~1,100 entries of 230 bytes.
pub const CHUNK: usize = 256 * 1024;

/// Reading stopped: the input is not one the caller can read alone.
#[derive(Debug, PartialEq, Eq)]
pub struct Stop;

/// A type read from the window, for each lifetime of the bytes it may
/// borrow: `Of<'de>` is the type that lends its strings from `'de`.
pub trait Lend {
    type Of<'de>: Deserialize<'de>;
}

/// An owned `T`: it borrows nothing.
pub struct Owned<T>(PhantomData<T>);

impl<T: DeserializeOwned> Lend for Owned<T> {
    type Of<'de> = T;
}

pub struct Window<R> {
    reader: R,
    /// What was read, checked as UTF-8 once, from the first unread byte
    /// on: serde_json then reads it as a `str` and checks no string again
    /// (from bytes, it checks each one: +200 M instructions on 100k series).
    text: String,
    /// The next byte of `text` to read.
    pos: usize,
    /// How many bytes before `text` were read and dropped.
    dropped: u64,
    /// Where reads land, allocated once; its first `held` bytes are a
    /// character cut by the last read, not yet in `text`.
    raw: Vec<u8>,
    held: usize,
    /// The reader has nothing more.
    eof: bool,
}

impl<R: Read> Window<R> {
    /// A window over `reader`, past a UTF-8 byte-order mark if there is one
    /// (as [`super::parse`] skips it).
    pub fn new(reader: R) -> Result<Window<R>, Stop> {
        Window::reading(reader, CHUNK)
    }

    /// [`Window::new`], reading `chunk` bytes at a time: for a reader of a
    /// few KiB, which a [`CHUNK`]-sized window would cost 768 KiB.
    pub fn reading(reader: R, chunk: usize) -> Result<Window<R>, Stop> {
        let mut w = Window {
            reader,
            text: String::with_capacity(2 * chunk),
            pos: 0,
            dropped: 0,
            raw: vec![0; chunk + 4],
            held: 0,
            eof: false,
        };
        while w.text.len() < 3 && w.fill()? {}
        if w.text.starts_with('\u{feff}') {
            w.pos = 3;
        }
        Ok(w)
    }

    /// Read more: drop what was read, read once, and add what is valid
    /// UTF-8 (keeping a character cut at the end for the next read).
    /// `false` at the end.
    fn fill(&mut self) -> Result<bool, Stop> {
        if self.eof {
            return Ok(false);
        }
        self.text.drain(..self.pos);
        self.dropped += self.pos as u64;
        self.pos = 0;
        let held = self.held;
        let n = loop {
            match self.reader.read(&mut self.raw[held..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(Stop),
            }
        };
        if n == 0 {
            self.eof = true;
            // A character cut by the end of the input is no character.
            return if held == 0 { Ok(false) } else { Err(Stop) };
        }
        let read = &self.raw[..held + n];
        let valid = match std::str::from_utf8(read) {
            Ok(text) => text,
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&read[..e.valid_up_to()]).map_err(|_| Stop)?
            }
            Err(_) => return Err(Stop),
        };
        self.text.push_str(valid);
        let used = valid.len();
        self.raw.copy_within(used..held + n, 0);
        self.held = held + n - used;
        Ok(true)
    }

    /// How many bytes of the input were taken (whitespace skipped by a
    /// peek included): the offset of the next one from where the reader
    /// was when the window was made.
    pub fn offset(&self) -> u64 {
        self.dropped + self.pos as u64
    }

    /// The next byte that is not JSON whitespace, left unread; `None` at
    /// the end of the input.
    pub fn peek(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            while let Some(&b) = self.text.as_bytes().get(self.pos) {
                if !is_space(b) {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Take `byte` if it comes next (after whitespace).
    pub fn eat(&mut self, byte: u8) -> Result<bool, Stop> {
        let next = self.peek()? == Some(byte);
        if next {
            self.pos += 1;
        }
        Ok(next)
    }

    /// The next value, owned.
    pub fn owned<T: DeserializeOwned>(&mut self) -> Result<T, Stop> {
        self.lend::<Owned<T>, T>(|v| v)
    }

    /// The next value, handed to `take` while the strings it borrows from
    /// the window are still there; what `take` returns.
    pub fn lend<T: Lend, U>(
        &mut self,
        take: impl for<'de> FnOnce(T::Of<'de>) -> U,
    ) -> Result<U, Stop> {
        let first = self.peek()?.ok_or(Stop)?;
        // A number or literal that ends where the window ends may go on in
        // what is not read yet: read more before believing it.
        let delimited = matches!(first, b'{' | b'[' | b'"');
        let mut take = Some(take);
        loop {
            let read = {
                let slice = &self.text[self.pos..];
                let mut stream = serde_json::Deserializer::from_str(slice).into_iter::<T::Of<'_>>();
                match stream.next() {
                    Some(Ok(v)) if delimited || stream.byte_offset() < slice.len() || self.eof => {
                        let take = take.take().expect("taken once, then returned");
                        Ok(Some((take(v), stream.byte_offset())))
                    }
                    Some(Ok(_)) => Ok(None),
                    Some(Err(e)) if e.is_eof() && !self.eof => Ok(None),
                    _ => Err(Stop),
                }
            };
            if let Some((taken, used)) = read? {
                self.pos += used;
                return Ok(taken);
            }
            self.grow()?;
        }
    }

    /// [`Window::lend`], trying the hand-written reader `quick` first: it
    /// is given the text from the value on, and what it leaves
    /// ([`Quick::Unusual`], or the input's end) is read by serde as
    /// `lend` reads it, accepted or stopped on exactly as there.
    pub fn lend_quick<T: Lend, U>(
        &mut self,
        quick: impl for<'de> Fn(&'de str) -> Quick<T::Of<'de>>,
        take: impl for<'de> FnOnce(T::Of<'de>) -> U,
    ) -> Result<U, Stop> {
        self.peek()?.ok_or(Stop)?;
        let mut take = Some(take);
        loop {
            let read = match quick(&self.text[self.pos..]) {
                Quick::Read(v, used) => {
                    let take = take.take().expect("taken once, then returned");
                    Some((take(v), used))
                }
                Quick::More if !self.eof => None,
                Quick::More | Quick::Unusual => break,
            };
            if let Some((taken, used)) = read {
                self.pos += used;
                return Ok(taken);
            }
            self.grow()?;
        }
        self.lend::<T, U>(take.expect("not taken: nothing was read"))
    }

    /// Read more for a value cut by the window's end, which is then parsed
    /// again from its start: as much again as is held, so that a value of
    /// n bytes is parsed about log n times (2n bytes in all), not n / CHUNK
    /// times (n² / CHUNK: a 63 MiB token took 2.1 s, 1 GB 568 s).
    fn grow(&mut self) -> Result<(), Stop> {
        let want = 2 * (self.text.len() - self.pos);
        while self.fill()? && self.text.len() - self.pos < want {}
        Ok(())
    }
}

/// What a hand-written reader made of the text a value starts.
pub enum Quick<V> {
    /// The value, and how many bytes of the text it took.
    Read(V, usize),
    /// The text ends before the value does: read more and try again.
    More,
    /// Something the reader leaves to serde (which may well accept it).
    Unusual,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per read, to cut values
    /// everywhere.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn values(text: &str, per_read: usize) -> Result<Vec<serde_json::Value>, Stop> {
        values_of(text.as_bytes(), per_read)
    }

    fn values_of(bytes: &[u8], per_read: usize) -> Result<Vec<serde_json::Value>, Stop> {
        let mut w = Window::new(Trickle(bytes, per_read))?;
        let mut out = Vec::new();
        while w.peek()?.is_some() {
            out.push(w.owned()?);
            w.eat(b',')?;
        }
        Ok(out)
    }

    /// The offset counts the bytes taken however the input is cut: a
    /// byte-order mark, values, and whitespace a peek skipped.
    #[test]
    fn the_offset_is_the_bytes_taken() {
        let text = "\u{feff}[1, \"\u{e9}\" ,  {\"a\": 2}]";
        for per_read in [1, 2, 3, 7, usize::MAX] {
            let mut w = Window::new(Trickle(text.as_bytes(), per_read)).unwrap();
            assert_eq!(w.offset(), 3);
            assert_eq!(w.eat(b'['), Ok(true));
            let _: u32 = w.owned().unwrap();
            assert_eq!(w.eat(b','), Ok(true));
            let _: String = w.owned().unwrap();
            assert_eq!(w.offset(), text.find(" ,").unwrap() as u64);
            assert_eq!(w.eat(b','), Ok(true));
            assert_eq!(w.offset(), text.find(",  {").unwrap() as u64 + 1);
            assert_eq!(w.peek(), Ok(Some(b'{')));
            assert_eq!(w.offset(), text.find('{').unwrap() as u64);
            let _: serde_json::Value = w.owned().unwrap();
            assert_eq!(w.eat(b']'), Ok(true));
            assert_eq!(w.offset(), text.len() as u64);
        }
    }

    #[test]
    fn values_cut_anywhere_are_read_whole() {
        let text =
            "\u{feff}{\"a\": \"x\\u00e9\\\"\"}, 12345, -1.5e3, true, [null, \"\u{e9}\"], \"tail\"";
        let whole = values(text, usize::MAX).unwrap();
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[1], serde_json::json!(12345));
        for per_read in 1..8 {
            assert_eq!(
                values(text, per_read).unwrap(),
                whole,
                "{per_read} bytes a read"
            );
        }
    }

    #[test]
    fn a_value_bigger_than_the_window_grows_it() {
        let big = format!("[\"{}\"]", "x".repeat(CHUNK * 2 + 17));
        let got = values(&big, 4096).unwrap();
        assert_eq!(got[0][0].as_str().unwrap().len(), CHUNK * 2 + 17);
    }

    #[test]
    fn what_is_not_json_stops_the_window() {
        assert_eq!(values("{\"a\": }", 3), Err(Stop));
        assert_eq!(values("[1, 2", 3), Err(Stop));
        assert_eq!(values("12x", 1), Err(Stop));
        assert_eq!(values("\"\u{e9}", 1), Err(Stop));
        for per_read in [1, 2, 100] {
            assert_eq!(values_of(b"[\"\xff\"]", per_read), Err(Stop));
            assert_eq!(values_of(b"[\"\xc3\"]", per_read), Err(Stop));
            assert_eq!(values_of(b"\"a\" \xc3", per_read), Err(Stop));
            assert_eq!(
                values_of(b"[\"\xc3\xa9\"]", per_read).unwrap()[0][0],
                "\u{e9}"
            );
        }
    }
}
