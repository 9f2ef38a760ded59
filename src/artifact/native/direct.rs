//! One native entry read straight from the window's text, by hand, into the
//! same [`MetricEntry`] serde would make of it: the one pass's reader for
//! the entries it meets by the thousand.
//!
//! Why: serde's derived reader (field names matched through visitors, every
//! value through `deserialize_any`, `Object`, `present`, `Str`) was 622 M of
//! the 1,218 M instructions of `validate` on 100,000 series. This reader
//! walks the bytes once, matches a key by its text, and borrows every string
//! from the window: 395 M for the same entries (973 M in all; callgrind on
//! the profiling build, one thread).
//!
//! It never refuses anything itself. It reads what it can read with
//! certainty (strings without escapes or control characters, JSON's four
//! whitespace bytes, the keys of an entry each once, numbers whose digits
//! fit in a u64, see [`Cursor::number`]) and calls anything else
//! [`Quick::Unusual`]: serde then reads that entry, as it reads every entry
//! without this reader, and accepts it or stops the pass exactly as before.
//! So what it accepts, serde accepts too, as the same value (the property
//! test below holds the two together).

use std::borrow::Cow;

use super::{Bucket, Labels, MetricEntry, Quantile};
use crate::artifact::number::{special, whole, Count, Le, Num};
use crate::artifact::stop::{is_space, stop_byte};
use crate::artifact::strict::Object;
use crate::artifact::window::Quick;
use crate::model::Kind;
use number::Number;

mod number;

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

/// The known key `rest` starts with (past the opening quote), with its
/// closing quote: its length and which. Each compared with a constant, so
/// no `memcmp` is called.
fn known_key(rest: &[u8]) -> Option<(usize, Key)> {
    let hit = |text: &'static [u8], key| rest.starts_with(text).then_some((text.len(), key));
    match rest.first()? {
        b'n' => hit(b"name\"", Key::Name),
        b't' => hit(b"type\"", Key::Type),
        b'h' => hit(b"help\"", Key::Help),
        b'l' => hit(b"labels\"", Key::Labels).or_else(|| hit(b"le\"", Key::Le)),
        b'v' => hit(b"value\"", Key::Value),
        b'b' => hit(b"buckets\"", Key::Buckets),
        b'q' => hit(b"quantile\"", Key::Quantile).or_else(|| hit(b"quantiles\"", Key::Quantiles)),
        b's' => hit(b"sum\"", Key::Sum),
        b'c' => hit(b"count\"", Key::Count),
        _ => None,
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
    fn byte(&self, i: usize) -> Got<u8> {
        self.text.as_bytes().get(i).copied().ok_or(Miss::More)
    }

    /// The next byte past JSON whitespace, not taken.
    fn peek(&mut self) -> Got<u8> {
        loop {
            match self.byte(self.at)? {
                b if is_space(b) => self.at += 1,
                b => return Ok(b),
            }
        }
    }

    /// Take `b`, which must come next.
    fn eat(&mut self, b: u8) -> Got<()> {
        if self.peek()? != b {
            return Err(Miss::Unusual);
        }
        self.at += 1;
        Ok(())
    }

    /// Take `end` if it comes next, or a `,` before another item.
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

    /// A key of an entry, a bucket or a quantile, compared where it lies
    /// with the known keys its first byte allows: most keys are short, and
    /// the string's scan cost more than the comparison. One that is none
    /// of them (or is cut by the text's end) is read as a string:
    /// [`Key::Other`].
    fn key(&mut self) -> Got<Key> {
        if self.peek()? == b'"' {
            if let Some((len, key)) = known_key(&self.text.as_bytes()[self.at + 1..]) {
                self.at += 1 + len;
                return Ok(key);
            }
        }
        self.string().map(|_| Key::Other)
    }

    /// `{"key": value, …}`, each key read by `key`, each value by `field`
    /// given its key.
    fn object<K>(
        &mut self,
        key: fn(&mut Self) -> Got<K>,
        mut field: impl FnMut(&mut Self, K) -> Got<()>,
    ) -> Got<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key = key(self)?;
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

impl<'de> Cursor<'de> {
    /// An entry: `name` and `type` required, each key once, no other key.
    fn entry(&mut self) -> Got<MetricEntry<'de>> {
        let (mut name, mut kind, mut help, mut labels) = (None, None, None, None);
        let (mut value, mut buckets, mut quantiles, mut sum, mut count) =
            (None, None, None, None, None);
        self.object(Cursor::key, |c, k| match k {
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
        self.object(Cursor::string, |c, k| {
            pairs.push((Cow::Borrowed(k), Cow::Borrowed(c.string()?)));
            Ok(())
        })?;
        Labels::sorted(pairs).map_err(|_| Miss::Unusual)
    }

    fn bucket(&mut self) -> Got<Object<Bucket>> {
        let (mut le, mut count) = (None, None);
        self.object(Cursor::key, |c, k| match k {
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
        self.object(Cursor::key, |c, k| match k {
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
mod tests {
    //! The hand-written entry reader against serde's: whatever it reads, serde
    //! reads too, as the same entry and the same bytes; it reads the shapes
    //! artifacts have; and a window cutting an entry anywhere changes nothing.

    use std::io::Read;

    use proptest::prelude::*;

    use super::*;
    use crate::artifact::families::FamilySet;
    use crate::artifact::{onepass, BuildOptions};

    /// An entry as text, every float by its bits, so that equal means equal.
    fn shown(m: &MetricEntry) -> String {
        let bits = |n: Option<Num>| n.map(|n| n.0.to_bits());
        let buckets = m.buckets.as_ref().map(|b| {
            let pairs = b.iter().map(|b| (b.le.0.to_bits(), b.count.0));
            pairs.collect::<Vec<_>>()
        });
        let quantiles = m.quantiles.as_ref().map(|q| {
            let pairs = q
                .iter()
                .map(|q| (q.quantile.to_bits(), q.value.0.to_bits()));
            pairs.collect::<Vec<_>>()
        });
        format!(
            "{:?} {:?} {:?} {:?} {:?} {buckets:?} {quantiles:?} {:?} {:?}",
            m.name,
            m.kind,
            m.help,
            m.labels.0,
            bits(m.value),
            bits(m.sum),
            m.count.map(|c| c.0),
        )
    }

    /// serde's entry and the bytes it took, read as [`Window::lend`] reads it.
    ///
    /// [`Window::lend`]: crate::artifact::window::Window::lend
    fn by_serde(text: &str) -> Option<(String, usize)> {
        let mut stream =
            serde_json::Deserializer::from_str(text).into_iter::<Object<MetricEntry>>();
        match stream.next() {
            Some(Ok(m)) => Some((shown(&m), stream.byte_offset())),
            _ => None,
        }
    }

    /// This reader's entry and the bytes it took, or why not.
    fn by_hand(text: &str) -> Quick<String> {
        match entry(text) {
            Quick::Read(m, used) => Quick::Read(shown(&m), used),
            Quick::More => Quick::More,
            Quick::Unusual => Quick::Unusual,
        }
    }

    /// A JSON value as parts to be written with whitespace between them.
    #[derive(Debug, Clone)]
    enum Val {
        /// A number, literal or string, as text.
        Raw(String),
        Obj(Vec<(String, Val)>),
        Arr(Vec<Val>),
    }

    fn raw(s: impl Into<String>) -> Val {
        Val::Raw(s.into())
    }

    /// Writes a [`Val`], drawing the whitespace before each token in turn.
    struct Writer {
        out: String,
        spaces: Vec<u8>,
        k: usize,
    }

    impl Writer {
        fn token(&mut self, t: &str) {
            let pick = self.spaces[self.k % self.spaces.len()];
            self.k += 1;
            // Mostly none or one space; now and then more, or what JSON does
            // not count as whitespace (both readers must refuse those).
            let ws = match pick {
                0..=149 => "",
                150..=229 => " ",
                230..=237 => "\n    ",
                238..=245 => "\t",
                246..=253 => "\r\n",
                254 => "\u{a0}",
                255 => "\u{c}",
            };
            self.out.push_str(ws);
            self.out.push_str(t);
        }

        fn value(&mut self, v: &Val) {
            match v {
                Val::Raw(s) => self.token(s),
                Val::Obj(pairs) => {
                    self.token("{");
                    for (i, (k, v)) in pairs.iter().enumerate() {
                        if i > 0 {
                            self.token(",");
                        }
                        self.token(&format!("\"{k}\""));
                        self.token(":");
                        self.value(v);
                    }
                    self.token("}");
                }
                Val::Arr(items) => {
                    self.token("[");
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            self.token(",");
                        }
                        self.value(v);
                    }
                    self.token("]");
                }
            }
        }
    }

    /// The text of a JSON string (between its quotes): plain, unicode,
    /// escaped, or not JSON at all (a raw control character, a bad escape).
    fn string_text() -> impl Strategy<Value = String> {
        prop_oneof![
            60 => prop_oneof![
                Just("a"), Just("pipeline_gauge_0"), Just("shard-000001"),
                Just("node-01.cluster.local"), Just("A gauge."), Just(""),
            ].prop_map(String::from),
            20 => "[a-z_ .:-]{0,12}",
            6 => "[a-zé\u{2028}\u{10348}ü ]{1,6}",
            2 => "[a-z\\\\\"\u{1}\u{1f}é ]{0,20}",
            1 => Just("\\u00e9\\\"x".to_string()),
            1 => Just("a\\nb".to_string()),
            1 => Just("a\u{1}b".to_string()),
            1 => Just("a\u{7f}b".to_string()),
            1 => Just("bad\\q".to_string()),
        ]
    }

    /// Every form of number, and what is not one.
    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0..100_000u32).prop_map(|v| v.to_string()),
            2 => any::<i64>().prop_map(|v| v.to_string()),
            2 => any::<u64>().prop_map(|v| v.to_string()),
            4 => (0..200_000u32).prop_map(|i| format!("{:?}", f64::from(i) * 0.5)),
            3 => any::<f64>().prop_map(|v| format!("{v:?}")),
            3 => (any::<u64>(), 1..21usize, 0..21usize).prop_map(|(d, len, point)| {
                let digits = format!("{d:020}")[20 - len..].to_string();
                let point = point.min(len - 1);
                format!("{}.{}", &digits[..len - point], &digits[len - point..])
            }),
            3 => ("-?[1-9][0-9]{0,17}", "[eE]", "[+-]?", 0..30u32)
                .prop_map(|(d, e, s, x)| format!("{d}{e}{s}{x}")),
            1 => (0..400u32).prop_map(|x| format!("1.5e{x}")),
            1 => (0..400u32).prop_map(|x| format!("-2e-{x}")),
            4 => prop::sample::select(vec![
                "0", "-0", "0.0", "-0.0", "1e-400", "0e400", "0.1", "0.99", "31.5", "4.1", "-1",
                "10.0", "1E5", "9007199254740992e-22", "9007199254740993e-22", "1e22", "1e23",
                "18446744073709551615", "18446744073709551616", "-9223372036854775808",
                "-9223372036854775809", "12345678901234567890123", "9007199254740993.5",
                "\"NaN\"", "\"+Inf\"", "\"-Inf\"",
            ]).prop_map(String::from),
            1 => prop::sample::select(vec![
                "1e400", "-1e400", "01", "1.", ".5", "-", "+1", "1e", "1e+", "1.5.3", "0x10",
                "1 2", "\"inf\"", "\"1\"", "\"N\\u0061N\"", "null", "true", "[]", "{}", "NaN",
                "Infinity",
            ]).prop_map(String::from),
        ]
    }

    /// What a count is written as, mostly.
    fn count_text() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => (0..1000u64).prop_map(|v| v.to_string()),
            1 => any::<u64>().prop_map(|v| v.to_string()),
            2 => number_text(),
        ]
    }

    /// `{k: v, …}` from the keys' strategies, in some order, now and then one
    /// left out, one given twice, or one the format does not have.
    fn object(fields: Vec<(&'static str, BoxedStrategy<Val>)>) -> impl Strategy<Value = Val> {
        let n = fields.len();
        let (keys, values): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
        let plant = prop_oneof![
            30 => Just(None),
            1 => (0..n, 0..4u8).prop_map(Some),
        ];
        (values, plant, Just(keys))
            .prop_map(|(values, plant, keys)| {
                let mut pairs: Vec<(String, Val)> =
                    keys.iter().map(|k| k.to_string()).zip(values).collect();
                match plant {
                    Some((i, 0)) => drop(pairs.remove(i)),
                    Some((i, 1)) => pairs.push(pairs[i].clone()),
                    Some((i, 2)) => pairs[i].0 = pairs[i].0.replacen('a', "\\u0061", 1),
                    Some(_) => pairs.push(("x".into(), raw("1"))),
                    None => {}
                }
                pairs
            })
            .prop_shuffle()
            .prop_map(Val::Obj)
    }

    fn string() -> BoxedStrategy<Val> {
        string_text().prop_map(|s| raw(format!("\"{s}\""))).boxed()
    }

    fn labels() -> BoxedStrategy<Val> {
        let name = prop_oneof![
            Just("shard"),
            Just("stage"),
            Just("host"),
            Just("é"),
            Just("a"),
            Just("\\u0061"),
        ];
        let value = prop_oneof![30 => string(), 1 => number_text().prop_map(raw)];
        prop_oneof![
            20 => prop::collection::vec((name, value), 0..5).prop_map(|pairs| {
                Val::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
            1 => Just(raw("null")),
            1 => Just(raw("[]")),
        ]
        .boxed()
    }

    fn list(item: BoxedStrategy<Val>) -> BoxedStrategy<Val> {
        prop_oneof![
            40 => prop::collection::vec(item, 0..5).prop_map(Val::Arr),
            1 => Just(raw("null")),
            1 => Just(raw("{}")),
        ]
        .boxed()
    }

    fn bucket() -> BoxedStrategy<Val> {
        let le = prop_oneof![3 => number_text(), 1 => Just("\"+Inf\"".to_string())];
        object(vec![
            ("le", le.prop_map(raw).boxed()),
            ("count", count_text().prop_map(raw).boxed()),
        ])
        .boxed()
    }

    fn quantile() -> BoxedStrategy<Val> {
        object(vec![
            ("quantile", number_text().prop_map(raw).boxed()),
            ("value", number_text().prop_map(raw).boxed()),
        ])
        .boxed()
    }

    /// An entry of any type, valid mostly, written with random whitespace.
    fn entry_text() -> impl Strategy<Value = String> {
        let kind = prop_oneof![
            20 => prop::sample::select(vec!["gauge", "counter", "histogram", "summary", "untyped"]),
            1 => prop::sample::select(vec!["Gauge", "gauge ", "g\\u0061uge"]),
        ];
        let kind = kind.prop_map(|k| raw(format!("\"{k}\""))).boxed();
        let num = || number_text().prop_map(raw).boxed();
        let fields = prop_oneof![
            Just(vec!["value"]),
            Just(vec!["buckets", "sum", "count"]),
            Just(vec!["quantiles", "sum", "count"]),
            Just(vec!["value", "buckets", "quantiles", "sum", "count"]),
        ];
        fields
            .prop_flat_map(move |more| {
                let mut fields = vec![
                    ("name", string()),
                    ("type", kind.clone()),
                    ("help", string()),
                    ("labels", labels()),
                ];
                for key in more {
                    let value = match key {
                        "buckets" => list(bucket()),
                        "quantiles" => list(quantile()),
                        "count" => count_text().prop_map(raw).boxed(),
                        _ => num(),
                    };
                    fields.push((key, value));
                }
                object(fields)
            })
            .prop_flat_map(|entry| (Just(entry), prop::collection::vec(any::<u8>(), 1..40)))
            .prop_map(|(entry, spaces)| {
                let mut w = Writer {
                    out: String::new(),
                    spaces,
                    k: 0,
                };
                w.value(&entry);
                // What comes after an entry in the array.
                w.out.push_str(", ");
                w.out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

        /// What the hand-written reader reads, serde reads as the same entry
        /// from the same bytes; it asks for more only where serde fails; and
        /// cut short anywhere, what it read whole it asks more for.
        #[test]
        fn what_it_reads_serde_reads_the_same(text in entry_text()) {
            let serde = by_serde(&text);
            match by_hand(&text) {
                Quick::Read(got, used) => {
                    prop_assert_eq!(Some((got, used)), serde, "{}", text);
                    for cut in (0..used).filter(|&c| text.is_char_boundary(c)) {
                        prop_assert!(matches!(entry(&text[..cut]), Quick::More), "{} cut at {}", text, cut);
                    }
                }
                Quick::More => prop_assert_eq!(serde, None, "{}", text),
                Quick::Unusual => {}
            }
        }
    }

    /// Entry `i` of `benches/compare.py`'s artifact, as Python's `json.dump`
    /// writes it.
    fn compare_entry(i: u32) -> String {
        let kind = ["gauge", "counter", "histogram", "summary"][i as usize % 4];
        let labels = format!(
            r#""labels": {{"shard": "shard-{i:06}", "stage": "{}", "host": "node-{:02}.cluster.local"}}"#,
            ["train", "eval"][i as usize % 2],
            i % 37
        );
        let name = format!("pipeline_{kind}_{}", i % 25);
        match kind {
            "gauge" => format!(
                r#"{{"name": "{name}", "type": "gauge", "help": "A gauge.", "value": {:?}, {labels}}}"#,
                f64::from(i) * 0.5
            ),
            "counter" => format!(
                r#"{{"name": "{name}_total", "type": "counter", "help": "A counter.", "value": {i}, {labels}}}"#
            ),
            "histogram" => format!(
                r#"{{"name": "{name}_seconds", "type": "histogram", "help": "A histogram.", {labels}, "buckets": [{{"le": 0.1, "count": 1}}, {{"le": 1, "count": 4}}, {{"le": 10, "count": 9}}], "sum": 31.5, "count": 10}}"#
            ),
            _ => format!(
                r#"{{"name": "{name}_latency", "type": "summary", "help": "A summary.", {labels}, "quantiles": [{{"quantile": 0.5, "value": 0.2}}, {{"quantile": 0.99, "value": 0.9}}], "sum": 4.1, "count": 20}}"#
            ),
        }
    }

    /// The shapes artifacts have are read by hand, not left to serde: as
    /// `json.dump` writes them, compact, and pretty; with the other number
    /// forms a value, bound or count may take.
    #[test]
    fn the_shapes_artifacts_have_are_read_by_hand() {
        let mut texts = Vec::new();
        for i in (0..4000).chain(99_990..100_000) {
            let text = compare_entry(i);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            texts.push(serde_json::to_string(&value).unwrap());
            texts.push(serde_json::to_string_pretty(&value).unwrap());
            texts.push(text);
        }
        for (value, le, count) in [
            ("1e5", "\"+Inf\"", "10.0"),
            ("-2.5E-3", "-0", "0"),
            ("\"NaN\"", "1.5e+2", "18446744073709551615"),
            ("-0", "-7", "1e3"),
            ("-9223372036854775808", "9007199254740992e-3", "0.0"),
            // What Python's json writes for random floats: 16 and 17
            // significant digits, and its exponent form. Without serde's
            // `float_roundtrip`, 2.5506902573942902e-05 and
            // 1.2345678901234567e+300 come out a bit apart: these also
            // keep that feature on.
            ("13.436424411240122", "0.8474337369372327", "1.0"),
            ("-76.37746189766141", "2.5506902573942902e-05", "1e2"),
            ("1.2345678901234567e+300", "9.999999999999999e-301", "7"),
            // Halfway cases (ties to even), the smallest normal rounded
            // up to, the largest finite, and a significand of u64::MAX.
            ("4503599627370496.5", "9007199254740992.5", "0"),
            ("2.2250738585072012e-308", "1.7976931348623158079e308", "1"),
            ("18446744073709551615e-20", "-0.000000000000000000123", "2"),
        ] {
            texts.push(format!(
                r#"{{"name":"h","type":"histogram","labels":{{}},"value":{value},"buckets":[{{"count":{count},"le":{le}}}],"sum":{value},"count":{count}}}"#
            ));
        }
        for text in texts {
            let text = format!("{text}, ");
            let Quick::Read(got, used) = by_hand(&text) else {
                panic!("not read by hand: {text}");
            };
            assert_eq!(Some((got, used)), by_serde(&text), "{text}");
        }
    }

    /// The families (or what is wrong) and the skeleton of the one pass.
    fn families(input: impl Read) -> String {
        let opts = BuildOptions::default();
        let mut set = FamilySet::new(&opts, usize::MAX);
        let skeleton = onepass::read(input, &mut set);
        let done = set
            .finish("a.json")
            .map(|m| format!("{:?} {:?}", m.families, m.warnings))
            .map_err(|e| format!("{e:#}"));
        format!("{skeleton:?} {done:?}")
    }

    /// A reader handing out `first` bytes, then the rest in reads of `then`.
    struct Cut<'a> {
        bytes: &'a [u8],
        first: usize,
        then: usize,
    }

    impl Read for Cut<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.first.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.first = self.then;
            Ok(n)
        }
    }

    /// The window's end at every byte of the entries (one read up to it, then
    /// the rest; or a few bytes a read): the same families as one whole read.
    #[test]
    fn an_entry_cut_anywhere_by_the_window_reads_as_whole() {
        let mut entries: Vec<String> = (0..8).map(compare_entry).collect();
        // One serde reads (an escape), one by hand with a long string, one
        // pretty, one with unicode.
        entries[1] = entries[1].replace("A counter.", "A \\\"counter\\\".");
        entries[2] = entries[2].replace("A histogram.", &"h".repeat(3000));
        let pretty: serde_json::Value = serde_json::from_str(&entries[3]).unwrap();
        entries[3] = serde_json::to_string_pretty(&pretty).unwrap();
        entries[4] = entries[4].replace("train", "tr\u{e9}in\u{10348}");
        let text = format!(
            r#"{{"labels": {{"pipeline": "bench"}}, "metrics": [{}]}}"#,
            entries.join(", ")
        );
        let bytes = text.as_bytes();
        let whole = families(bytes);
        assert!(
            whole.starts_with("Some(") && whole.contains("tr\u{e9}in"),
            "{whole}"
        );
        for first in 1..bytes.len() {
            let cut = Cut {
                bytes,
                first,
                then: usize::MAX,
            };
            assert_eq!(families(cut), whole, "cut at {first}");
        }
        for then in 1..8 {
            let cut = Cut {
                bytes,
                first: then,
                then,
            };
            assert_eq!(families(cut), whole, "{then} bytes a read");
        }
    }
}
