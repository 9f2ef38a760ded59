//! `run`'s output and its end, kept apart from what they share: the child's
//! stderr is passed on in whole lines, so our warnings never land inside
//! one (a real Pushgateway receives the metrics); a periodic push that a
//! gateway never answers does not hold the final push (a scripted gateway,
//! since a real one can't be made to hang on one request).

use crate::common;

use common::live::Live;
use common::scripted::{Reply, Scripted};
use common::*;

/// The child writes a line that draws a warning and, in the same write,
/// the start of the next line; the rest comes later. The warning used to
/// be written between the two (`loss=simplepipe: warning: …`).
#[test]
fn a_warning_never_lands_inside_a_line_of_the_childs_stderr() {
    let gw = Gateway::start();
    let script = "import sys, time\n\
        sys.stderr.write('val_loss=0.5\\nval/loss=0.7\\nloss='); sys.stderr.flush()\n\
        time.sleep(0.5)\n\
        sys.stderr.write('0.25\\n')";
    let args = [
        "run",
        "--gateway",
        &gw.url,
        "--job",
        "lines",
        "--metrics-from",
        "stderr",
        "--",
        "python3",
        "-c",
        script,
    ];
    let r = Live::spawn(&args, &[]).wait();
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{}", r.stderr);
    assert_eq!(lines[..2], ["val_loss=0.5", "val/loss=0.7"]);
    assert!(
        lines[2].starts_with("simplepipe: warning: stderr line 2: \"val/loss\""),
        "{}",
        r.stderr
    );
    assert_eq!(lines[3], "loss=0.25", "{}", r.stderr);
    assert!(lines[4].starts_with("simplepipe: pushed "), "{}", r.stderr);
    let g = gw.group(&[("job", "lines")]).expect("pushed");
    assert_eq!(g.value("loss"), "0.25");
}

/// A gateway that never answers the first (periodic) push: the final push
/// goes after a bounded wait, on a connection of its own, and lands; the
/// command ends without waiting out `--timeout`.
#[test]
fn a_hung_periodic_push_does_not_hold_the_final_push() {
    let gw = Scripted::start(vec![Reply::Hang, Reply::Status(200, &[], "")]);
    let args = [
        "run",
        "--gateway",
        &gw.url,
        "--job",
        "slow",
        "--interval",
        "0.2",
        "--timeout",
        "3600",
        "--",
        "sh",
        "-c",
        "echo loss=0.5; sleep 1; echo loss=0.25",
    ];
    let live = Live::spawn(&args, &[]);
    // Only so that a regression fails instead of hanging CI for an hour.
    common::live::eventually("run ends before its --timeout", || {
        live.stderr().contains("simplepipe: pushed").then_some(())
    });
    let r = live.wait();
    assert_eq!(r.code, 0, "{r:?}");
    let sent = gw.requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    // Protobuf bodies: a name is its bytes, a value its 8 little-endian ones.
    let has = |i: usize, name: &str, v: f64| {
        let b = &sent[i].body;
        let find = |n: &[u8]| b.windows(n.len()).any(|w| w == n);
        find(name.as_bytes()) && find(&v.to_le_bytes())
    };
    assert!(has(0, "loss", 0.5), "the periodic push: {:?}", sent[0]);
    assert!(
        has(1, "loss", 0.25) && has(1, "run_exit_code", 0.0),
        "the final push: {:?}",
        sent[1]
    );
    assert!(sent[0].at < sent[1].at);
    assert!(
        r.stderr.contains(
            "simplepipe: warning: a periodic push still under way after 1s was abandoned; the final push goes now"
        ),
        "{}",
        r.stderr
    );
}
