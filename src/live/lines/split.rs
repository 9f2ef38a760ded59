//! Splitting a child's or a file's bytes into lines: at `\n`, and at `\r`,
//! where a progress bar (tqdm, Keras) redraws its line, so every redraw is
//! read as it comes. Lines past [`MAX_LINE`] are skipped without being
//! buffered: a megabyte of base64 is not a metric line.

use super::MAX_LINE;

/// Splits a byte stream into lines for the callback: at `\n` (which counts
/// a line) and at `\r` (a progress bar redrawing the same line). Lines
/// longer than `MAX_LINE` are skipped; the buffer never grows past it.
pub struct Splitter<F: FnMut(u64, &str)> {
    on_line: F,
    buf: Vec<u8>,
    overlong: bool,
    number: u64,
}

impl<F: FnMut(u64, &str)> Splitter<F> {
    pub fn new(on_line: F) -> Self {
        Splitter {
            on_line,
            buf: Vec::new(),
            overlong: false,
            number: 1,
        }
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.push(&bytes[..i]);
            self.emit();
            if bytes[i] == b'\n' {
                self.number += 1;
            }
            bytes = &bytes[i + 1..];
        }
        self.push(bytes);
    }

    /// The end of the stream: the last line may lack its newline.
    pub fn finish(&mut self) {
        self.emit();
    }

    /// Start counting lines from 1 again (a new file after rotation), after
    /// emitting whatever was pending.
    pub fn restart(&mut self) {
        self.emit();
        self.number = 1;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.overlong || self.buf.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn emit(&mut self) {
        if !self.overlong && !self.buf.is_empty() {
            // Checked as UTF-8 first: std's check has an ASCII fast path
            // that the lossy decoder lacks (about a tenth of a line's cost).
            match std::str::from_utf8(&self.buf) {
                Ok(line) => (self.on_line)(self.number, line),
                Err(_) => (self.on_line)(self.number, &String::from_utf8_lossy(&self.buf)),
            }
        }
        self.buf.clear();
        self.overlong = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<(u64, String)> {
        let mut got = Vec::new();
        let mut lines = Splitter::new(|n: u64, l: &str| got.push((n, l.to_string())));
        for c in chunks {
            lines.feed(c);
        }
        lines.finish();
        drop(lines);
        got
    }

    #[test]
    fn lines_across_chunks_and_progress_bars() {
        assert_eq!(
            split(&[b"a=1\nb=", b"2\r\n\nc", b"=3 10%\rc=4 50%\rdone\nlast"]),
            vec![
                (1, "a=1".to_string()),
                (2, "b=2".to_string()),
                (4, "c=3 10%".to_string()),
                (4, "c=4 50%".to_string()),
                (4, "done".to_string()),
                (5, "last".to_string()),
            ]
        );
    }

    #[test]
    fn overlong_lines_are_skipped_not_buffered() {
        let long = vec![b'x'; MAX_LINE + 10];
        let got = split(&[
            b"a=1\n",
            &long[..MAX_LINE / 2],
            &long[MAX_LINE / 2..],
            b"\nb=2\n",
        ]);
        assert_eq!(got, vec![(1, "a=1".to_string()), (3, "b=2".to_string())]);
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        assert_eq!(
            split(&[b"loss=0.5 \xff\n"]),
            vec![(1, "loss=0.5 \u{fffd}".to_string())]
        );
    }
}
