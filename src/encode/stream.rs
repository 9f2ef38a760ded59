//! A body written while it is read: an encoder's output, a few series at a
//! time, as an [`std::io::Read`] the HTTP client sends from. The receiver
//! parses the first families while the rest is written, and only about
//! [`CHUNK`] bytes of the body are ever held, instead of the whole body
//! (13 MB of text for 100,000 series, plus the copy a growing `String`
//! makes). [`gzip`] compresses such a reader as it is read.
//!
//! The encoders write a family's head, then each of its series, in the
//! model's order: exactly what their whole-body functions write, which
//! the tests below compare byte for byte.

use std::io::Read;

use crate::model::{Family, Series};

/// About how much is written at a time.
pub const CHUNK: usize = 64 * 1024;

/// An encoder that writes a family piece by piece into its own buffer type
/// (bytes for protobuf, a `String` for text).
pub trait Pieces {
    type Buf: Default + AsRef<[u8]>;
    /// Empty the buffer, keeping its allocation.
    fn clear(buf: &mut Self::Buf);
    /// What comes before a family's series.
    fn head(buf: &mut Self::Buf, f: &Family);
    /// One series of the family.
    fn series(buf: &mut Self::Buf, f: &Family, s: &Series);
}

/// The output of `E` for `families`, written as it is read.
pub struct Reader<F, E: Pieces> {
    families: F,
    family: usize,
    /// The next series of `family` to write; `None` before its head.
    series: Option<usize>,
    buf: E::Buf,
    pos: usize,
}

impl<F: AsRef<[Family]>, E: Pieces> Reader<F, E> {
    pub fn new(families: F) -> Reader<F, E> {
        Reader {
            families,
            family: 0,
            series: None,
            buf: E::Buf::default(),
            pos: 0,
        }
    }

    /// Write the next [`CHUNK`] bytes or so; `false` at the end.
    fn refill(&mut self) -> bool {
        E::clear(&mut self.buf);
        self.pos = 0;
        let families = self.families.as_ref();
        while self.buf.as_ref().len() < CHUNK {
            let Some(f) = families.get(self.family) else {
                break;
            };
            match self.series {
                None => {
                    E::head(&mut self.buf, f);
                    self.series = Some(0);
                }
                Some(i) if i < f.series.len() => {
                    E::series(&mut self.buf, f, &f.series[i]);
                    self.series = Some(i + 1);
                }
                Some(_) => {
                    self.family += 1;
                    self.series = None;
                }
            }
        }
        !self.buf.as_ref().is_empty()
    }
}

impl<F: AsRef<[Family]>, E: Pieces> Read for Reader<F, E> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.as_ref().len() && !self.refill() {
            return Ok(0);
        }
        let buf = self.buf.as_ref();
        let n = out.len().min(buf.len() - self.pos);
        out[..n].copy_from_slice(&buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// `body` gzipped (`--compress gzip`) as it is read, at the level
/// [`super::gzip`] uses: flate2 keeps its own window, not the body.
pub fn gzip<R: Read>(body: R) -> flate2::read::GzEncoder<R> {
    flate2::read::GzEncoder::new(body, flate2::Compression::fast())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::encode::protobuf::Protobuf;
    use crate::encode::text::Text;
    use crate::model::{Kind, Sample};

    /// Families bigger than a few chunks, with an empty one and every
    /// sample shape, and a help text to escape.
    fn families() -> Vec<Family> {
        let family = |name: &str, kind: Kind, n: usize| Family {
            name: name.into(),
            help: format!("{name} \\ help\n"),
            kind,
            series: (0..n)
                .map(|i| Series {
                    labels: smallvec::smallvec![("shard".into(), format!("s\"{i}").into())],
                    sample: match kind {
                        Kind::Histogram => Sample::Histogram {
                            buckets: vec![(1.0, 1), (2.0, i as u64)],
                            sum: 3.0,
                            count: i as u64 + 1,
                        },
                        Kind::Summary => Sample::Summary {
                            quantiles: vec![(0.5, 0.25)],
                            sum: 1.5,
                            count: 3,
                        },
                        _ => Sample::Scalar(i as f64 * 0.5),
                    },
                })
                .collect(),
        };
        vec![
            family("a", Kind::Gauge, 9_000),
            family("b", Kind::Counter, 0),
            family("c", Kind::Histogram, 3_001),
            family("s", Kind::Summary, 7),
            family("d", Kind::Untyped, 1),
        ]
    }

    /// Everything `reader` gives, read `size` bytes at a time.
    fn drain(mut reader: impl Read, size: usize) -> Vec<u8> {
        let (mut read, mut buf) = (Vec::new(), vec![0; size]);
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                return read;
            }
            read.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn streamed_bodies_are_the_whole_bodies_byte_for_byte() {
        let families = families();
        let pb = crate::encode::protobuf(&families);
        let text = crate::encode::text(&families).into_bytes();
        assert!(pb.len() > 3 * CHUNK && text.len() > 3 * CHUNK);
        for size in [1, 7, 8192, 1 << 20] {
            let read = drain(Reader::<_, Protobuf>::new(&families[..]), size);
            assert!(read == pb, "protobuf, reads of {size} bytes");
            let read = drain(Reader::<_, Text>::new(&families[..]), size);
            assert!(read == text, "text, reads of {size} bytes");
        }
    }

    #[test]
    fn a_gzipped_stream_unzips_to_the_whole_body() {
        let families = families();
        for (whole, zipped) in [
            (
                crate::encode::text(&families).into_bytes(),
                drain(gzip(Reader::<_, Text>::new(&families[..])), 4096),
            ),
            (
                crate::encode::protobuf(&families),
                drain(gzip(Reader::<_, Protobuf>::new(&families[..])), 7),
            ),
        ] {
            let unzipped = drain(flate2::read::GzDecoder::new(&zipped[..]), 8192);
            assert!(unzipped == whole);
            assert!(zipped.len() < whole.len() / 4, "compressed");
        }
    }
}
