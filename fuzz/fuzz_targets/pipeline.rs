//! parse → validate → model → encode on arbitrary bytes: must never panic,
//! whatever is accepted must encode to well-formed exposition lines, and the
//! fast path (typed readers standing in for the built-in schemas) must
//! accept exactly what the schema path accepts, building the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::source::Source;

fuzz_target!(|data: &[u8]| {
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        labels: vec![("env".into(), "fuzz".into())],
        now: 1.7e9,
        ..Extra::default()
    };
    if let Ok((model, _)) = simplepipe::check(data, &Source::Stdin, None, &extra) {
        let text = simplepipe::encode::text(&model.families);
        for line in text.split('\n').filter(|l| !l.is_empty()) {
            // Every line is a comment or `name[{labels}] value`; the value
            // after the last space parses as a float.
            if !line.starts_with('#') {
                let value = line.rsplit(' ').next().unwrap();
                assert!(
                    matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok(),
                    "bad value in {line:?}"
                );
            }
        }
    }
    paths_agree(data, &extra);
});

/// The fast path accepts only what the schema accepts, and builds the same
/// model; a document the schema accepts but the typed model can't hold goes
/// the schema path, which says "please report this".
fn paths_agree(data: &[u8], extra: &Extra) {
    use simplepipe::artifact::{self, parse, validate, Origin};
    let origin = Origin::named("fuzz");
    let shown = |r: anyhow::Result<artifact::Model>| {
        r.map(|m| format!("{:?} {:?}", m.families, m.warnings))
            .map_err(|e| format!("{e:#}"))
    };
    // The one-pass reader, when it answers, answers as the two-pass one.
    let one = artifact::one_pass(data, &origin, None, extra).map(|r| shown(r.map(|(m, _)| m)));
    // And as it does when its input comes a few bytes at a time, so that
    // values are cut by its window everywhere.
    let trickle = Trickle(data, 1 + data.len() % 7);
    let cut = artifact::one_pass(trickle, &origin, None, extra).map(|r| shown(r.map(|(m, _)| m)));
    assert!(cut == one, "one pass {one:?}, cut in pieces {cut:?}");
    let Ok(doc) = parse::parse(data, &origin) else {
        assert!(one.is_none(), "one pass took what parse refuses: {one:?}");
        return;
    };
    let Ok(plan) = validate::plan(&doc, None) else {
        return;
    };
    if plan.custom.is_some() {
        return;
    }
    let fast = artifact::fast(&doc, plan.format, extra).map(shown);
    if let Some(one) = one {
        assert!(
            fast.as_ref() == Some(&one),
            "one pass {one:?}, two passes {fast:?}"
        );
    }
    let schema = validate::against_schemas(&doc, &plan, false);
    match (fast, schema) {
        (None, Err(_)) => {}
        (Some(_), Err(e)) => panic!("the fast path accepted what the schema refuses: {e:#}"),
        (Some(fast), Ok(())) => {
            let built = shown(artifact::build(Some((&doc, plan.format)), extra));
            assert!(fast == built, "different models: {fast:?} and {built:?}");
        }
        (None, Ok(())) => {
            let built = shown(artifact::build(Some((&doc, plan.format)), extra));
            assert!(
                matches!(&built, Err(e) if e.contains("please report this")),
                "the fast path refused what the schema accepts: {built:?}"
            );
        }
    }
}

/// A reader that hands out at most `n` bytes per read.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
