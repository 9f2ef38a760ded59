//! The push loop of `run` and `watch`: the live state goes out every
//! interval, on its own thread, and once more at the end.
//!
//! The threads that read the child's output (or the stream) only update
//! the shared [`State`] under a short lock; this thread takes a snapshot of
//! the families under the same lock and sends it without holding it. So a
//! slow or dead gateway never blocks a reader, and memory never grows with
//! pushes that could not be made: there is no queue, the latest state wins.
//!
//! The sink is passed in as a function, so the loop knows nothing of the
//! Pushgateway (or any other destination). It is told whether a push is a
//! periodic one, which the next interval supersedes anyway, or the final
//! one, which must land; the caller picks retries and timeouts from that.
//!
//! Periodic pushes are sent from a thread of their own, so that the final
//! push never waits long for one in flight: a gateway that hangs would hold
//! it for a whole `--timeout` before the final push's own `--timeout`
//! began. The final push waits at most [`GRACE`] for it (a healthy push is
//! over by then, and its older snapshot can't land after the final one),
//! then goes without it; the abandoned request ends with the process.
//!
//! Failed periodic pushes are reported once when they start failing and
//! once when pushing works again, not every interval: simplepipe's stderr
//! is the child's log too, and a gateway down for a day must not fill it.

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use crate::model::Family;

use super::state::State;

/// Which push this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Every interval; superseded by the next one.
    Periodic,
    /// At the end; the one that must land.
    Final,
}

/// Sends one snapshot; `Err` is reported (periodic) or returned (final).
/// Shared by the periodic pushes' thread and the final push.
pub type SendFn = Arc<dyn Fn(&[Family], Push) -> Result<()> + Send + Sync>;

/// How long the final push waits for a periodic one still in flight.
pub const GRACE: Duration = Duration::from_secs(1);

/// Writes one warning line (the caller's reporter).
pub type WarnFn = fn(&str);

enum Msg {
    Final(Vec<Family>, mpsc::Sender<Result<()>>),
}

/// The running push loop.
pub struct Pusher {
    tx: mpsc::Sender<Msg>,
    thread: thread::JoinHandle<()>,
}

/// What the loop did, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub pushed: u64,
    pub failed: u64,
}

impl Pusher {
    /// Start pushing `state` every `interval` (the first push one interval
    /// from now; nothing is pushed while the state is empty).
    pub fn start(
        interval: Duration,
        state: Arc<Mutex<State>>,
        send: SendFn,
        warn: WarnFn,
    ) -> (Pusher, Arc<Mutex<Tally>>) {
        let (tx, rx) = mpsc::channel();
        let tally = Arc::new(Mutex::new(Tally::default()));
        let looping = Loop {
            interval,
            state,
            periodic: Periodic::start(send.clone()),
            send,
            warn,
            tally: tally.clone(),
            failing: false,
        };
        let thread = thread::spawn(move || looping.run(&rx));
        (Pusher { tx, thread }, tally)
    }

    /// Stop the periodic pushes and make the final one: the state plus
    /// `extra`. Made on the loop's own thread once the push in flight is
    /// over, or after [`GRACE`] without it.
    pub fn finish(self, extra: Vec<Family>) -> Result<()> {
        self.finish_later(extra).wait()
    }

    /// [`Pusher::finish`], without waiting: several destinations' final
    /// pushes go at once, and [`Final::wait`] collects each.
    pub fn finish_later(self, extra: Vec<Family>) -> Final {
        let (reply_tx, reply_rx) = mpsc::channel();
        let sent = self.tx.send(Msg::Final(extra, reply_tx)).is_ok();
        Final {
            reply: sent.then_some(reply_rx),
            thread: self.thread,
        }
    }
}

/// A final push under way.
pub struct Final {
    reply: Option<mpsc::Receiver<Result<()>>>,
    thread: thread::JoinHandle<()>,
}

impl Final {
    /// The final push's outcome.
    pub fn wait(self) -> Result<()> {
        let stopped = || anyhow!("the push thread stopped early; please report this");
        let result = match self.reply {
            Some(rx) => rx.recv().unwrap_or_else(|_| Err(stopped())),
            None => Err(stopped()),
        };
        let _ = self.thread.join();
        result
    }
}

/// The loop's own state, on its thread.
struct Loop {
    interval: Duration,
    state: Arc<Mutex<State>>,
    send: SendFn,
    periodic: Periodic,
    warn: WarnFn,
    tally: Arc<Mutex<Tally>>,
    /// Whether the last periodic push failed (reported once, until it works).
    failing: bool,
}

/// The thread that sends periodic pushes, one at a time.
struct Periodic {
    jobs: mpsc::Sender<Vec<Family>>,
    results: mpsc::Receiver<Result<()>>,
    /// Whether a push was handed over and its result not yet taken.
    in_flight: bool,
}

impl Periodic {
    fn start(send: SendFn) -> Periodic {
        let (jobs, jobs_rx) = mpsc::channel::<Vec<Family>>();
        let (results_tx, results) = mpsc::channel();
        // Ends when the loop drops `jobs` (after its push in flight, if
        // one was abandoned, or with the process).
        thread::spawn(move || {
            for families in jobs_rx {
                if results_tx.send(send(&families, Push::Periodic)).is_err() {
                    return;
                }
            }
        });
        Periodic {
            jobs,
            results,
            in_flight: false,
        }
    }

    /// The result of the push in flight, once it is over (within `wait`).
    fn ended(&mut self, wait: Duration) -> Option<Result<()>> {
        if !self.in_flight {
            return None;
        }
        let got = match self.results.recv_timeout(wait) {
            Ok(result) => Some(result),
            Err(mpsc::RecvTimeoutError::Timeout) => return None,
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
        };
        self.in_flight = false;
        got
    }
}

impl Loop {
    fn run(mut self, rx: &mpsc::Receiver<Msg>) {
        let mut next = Instant::now() + self.interval;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(result) = self.periodic.ended(Duration::ZERO) {
                        self.count(result);
                    }
                    // A push slower than the interval skips the ticks
                    // until it is over; they never pile up.
                    if !self.periodic.in_flight {
                        self.tick();
                    }
                    next = (next + self.interval).max(Instant::now());
                }
                Ok(Msg::Final(extra, reply)) => {
                    if let Some(result) = self.periodic.ended(GRACE) {
                        self.count(result);
                    }
                    if self.periodic.in_flight {
                        (self.warn)(&format!("a periodic push still under way after {} was abandoned; the final push goes now", seconds(GRACE)));
                    }
                    let _ = reply.send(self.last(extra));
                    return;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Hand the state to the periodic pushes' thread (nothing while empty).
    fn tick(&mut self) {
        let families = snapshot(&self.state);
        if families.is_empty() {
            return;
        }
        self.periodic.in_flight = self.periodic.jobs.send(families).is_ok();
    }

    /// Count a periodic push's result, and report a change of fortune.
    fn count(&mut self, result: Result<()>) {
        let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(()) => {
                tally.pushed += 1;
                if self.failing {
                    (self.warn)("pushing works again");
                    self.failing = false;
                }
            }
            Err(e) => {
                tally.failed += 1;
                if !self.failing {
                    (self.warn)(&format!("{e:#}; the run goes on, and pushing is tried again every {} (not reported again until it works)", seconds(self.interval)));
                    self.failing = true;
                }
            }
        }
    }

    fn last(&mut self, extra: Vec<Family>) -> Result<()> {
        let mut families = snapshot(&self.state);
        families.extend(extra);
        families.sort_by(|a, b| a.name.cmp(&b.name));
        // Nothing at all (an empty stream): a PUT of nothing would only
        // wipe the group.
        if families.is_empty() {
            return Ok(());
        }
        let result = (self.send)(&families, Push::Final);
        if result.is_ok() {
            self.tally.lock().unwrap_or_else(|e| e.into_inner()).pushed += 1;
        }
        result
    }
}

fn snapshot(state: &Mutex<State>) -> Vec<Family> {
    state.lock().unwrap_or_else(|e| e.into_inner()).families()
}

/// `15s`, `1.5s`, `2m`: an interval as a person would write it.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}m", s / 60.0)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::lines::Reading;
    use crate::live::state::Rules;
    use crate::model::{Kind, Sample, Series};

    type Log = Arc<Mutex<Vec<(Push, Vec<(String, f64)>)>>>;

    fn flat(f: &[Family]) -> Vec<(String, f64)> {
        f.iter()
            .flat_map(|f| {
                f.series
                    .iter()
                    .map(move |s| (f.name.clone(), s.sample.clone()))
            })
            .map(|(n, s)| match s {
                Sample::Scalar(v) => (n, v),
                _ => unreachable!(),
            })
            .collect()
    }

    fn recorder(log: &Log, fail: bool) -> SendFn {
        let log = log.clone();
        Arc::new(move |f, push| {
            log.lock().unwrap().push((push, flat(f)));
            if fail {
                Err(anyhow!("PUT http://gw/metrics/job/x: cannot connect"))
            } else {
                Ok(())
            }
        })
    }

    fn state() -> Arc<Mutex<State>> {
        Arc::new(Mutex::new(State::new(Rules {
            max_series: 10,
            ..Rules::default()
        })))
    }

    fn set(state: &Mutex<State>, name: &str, v: f64) {
        let r = Reading {
            name: name.into(),
            labels: vec![],
            value: v,
            kind: None,
            help: String::new(),
        };
        state.lock().unwrap().record(&r).unwrap();
    }

    fn wait_for(log: &Log, n: usize) {
        while log.lock().unwrap().len() < n {
            thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn periodic_then_final_with_extra_last() {
        let (log, st) = (Log::default(), state());
        let (p, tally) = Pusher::start(
            Duration::from_millis(5),
            st.clone(),
            recorder(&log, false),
            |_| {},
        );
        set(&st, "loss", 0.9);
        wait_for(&log, 1);
        set(&st, "loss", 0.5);
        wait_for(&log, 3);
        let extra = Family {
            name: "run_exit_code".into(),
            help: String::new(),
            kind: Kind::Gauge,
            series: vec![Series {
                labels: smallvec::smallvec![],
                sample: Sample::Scalar(0.0),
            }],
        };
        p.finish(vec![extra]).unwrap();
        let log = log.lock().unwrap();
        let (last_kind, last) = log.last().unwrap();
        assert_eq!(*last_kind, Push::Final);
        assert_eq!(
            *last,
            vec![
                ("loss".to_string(), 0.5),
                ("run_exit_code".to_string(), 0.0)
            ]
        );
        assert!(log[..log.len() - 1]
            .iter()
            .all(|(k, _)| *k == Push::Periodic));
        assert_eq!(log[0].1, vec![("loss".to_string(), 0.9)]);
        assert_eq!(tally.lock().unwrap().pushed, log.len() as u64);
    }

    #[test]
    fn nothing_is_pushed_while_empty_and_final_errors_are_returned() {
        let (log, st) = (Log::default(), state());
        let (p, tally) = Pusher::start(
            Duration::from_millis(1),
            st.clone(),
            recorder(&log, true),
            |_| {},
        );
        thread::sleep(Duration::from_millis(30));
        p.finish(vec![]).unwrap();
        assert_eq!(*log.lock().unwrap(), vec![]);
        let (p, _) = Pusher::start(
            Duration::from_secs(3600),
            st.clone(),
            recorder(&log, true),
            |_| {},
        );
        set(&st, "x", 1.0);
        let err = p.finish(vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PUT http://gw/metrics/job/x: cannot connect"
        );
        assert_eq!(
            *log.lock().unwrap(),
            vec![(Push::Final, vec![("x".to_string(), 1.0)])]
        );
        assert_eq!(*tally.lock().unwrap(), Tally::default());
    }

    static WARNED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[test]
    fn periodic_failures_are_reported_once() {
        let (log, st) = (Log::default(), state());
        set(&st, "x", 1.0);
        let (p, tally) = Pusher::start(Duration::from_millis(1), st, recorder(&log, true), |w| {
            WARNED.lock().unwrap().push(w.to_string())
        });
        wait_for(&log, 5);
        let _ = p.finish(vec![]);
        assert_eq!(
            *WARNED.lock().unwrap(),
            ["PUT http://gw/metrics/job/x: cannot connect; the run goes on, and pushing is tried again every 0.001s (not reported again until it works)"]
        );
        assert!(tally.lock().unwrap().failed >= 4);
    }

    static ABANDONED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[test]
    fn a_hung_periodic_push_does_not_hold_the_final_one() {
        let (log, st) = (Log::default(), state());
        set(&st, "x", 1.0);
        let (release, hold) = mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let record = recorder(&log, false);
        let send: SendFn = Arc::new(move |f, push| {
            record(f, push)?;
            if push == Push::Periodic {
                // A gateway that never answers.
                let _ = hold.lock().unwrap().recv();
            }
            Ok(())
        });
        let (p, tally) = Pusher::start(Duration::from_millis(1), st.clone(), send, |w| {
            ABANDONED.lock().unwrap().push(w.to_string())
        });
        wait_for(&log, 1);
        set(&st, "x", 2.0);
        p.finish(vec![]).unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            vec![
                (Push::Periodic, vec![("x".to_string(), 1.0)]),
                (Push::Final, vec![("x".to_string(), 2.0)])
            ]
        );
        assert_eq!(
            *ABANDONED.lock().unwrap(),
            ["a periodic push still under way after 1s was abandoned; the final push goes now"]
        );
        assert_eq!(tally.lock().unwrap().pushed, 1, "the final one");
        drop(release);
    }

    #[test]
    fn intervals_read_as_written() {
        assert_eq!(seconds(Duration::from_secs(15)), "15s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds(Duration::from_secs(120)), "2m");
    }
}
