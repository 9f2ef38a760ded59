//! What streaming a push relies on, checked against the real Pushgateway
//! 1.5.1. simplepipe writes its protobuf body while it is sent, with a
//! `Content-Length` known beforehand up to 10,000 series and chunked past
//! that; a body cut off mid-way (the pusher dies, the network breaks) must
//! store nothing, not even the families that arrived whole before the
//! break: the group is left as it was, or absent. Both kinds are checked.

use crate::common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::{artifact, run, Gateway};

const PROTO: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// Three families.
const ARTIFACT: &str = r#"{"metrics": [
    {"name": "a", "type": "gauge", "value": 1},
    {"name": "b", "type": "counter", "value": 2},
    {"name": "c", "type": "histogram", "buckets": [{"le": 1, "count": 1}], "sum": 1, "count": 1}
]}"#;

/// The artifact's delimited protobuf body, from the binary itself.
fn body() -> Vec<u8> {
    let (_dir, path) = artifact(ARTIFACT);
    let out = common::simplepipe()
        .args([
            "push",
            &path,
            "j",
            "--user",
            "u",
            "--dry-run",
            "--format",
            "protobuf",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    out.stdout
}

/// Where each delimited message ends.
fn message_ends(body: &[u8]) -> Vec<usize> {
    let (mut ends, mut i) = (Vec::new(), 0);
    while i < body.len() {
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let b = body[i];
            i += 1;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
        }
        i += len;
        ends.push(i);
    }
    ends
}

/// Send `chunks` as a chunked request body; with `finish`, end the body
/// and return the status line, else drop the connection mid-body.
fn chunked(gw: &Gateway, method: &str, user: &str, chunks: &[&[u8]], finish: bool) -> String {
    let addr = gw.url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} /metrics/job/j/user/{user} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {PROTO}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    for c in chunks {
        write!(s, "{:x}\r\n", c.len()).unwrap();
        s.write_all(c).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    if !finish {
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        s.shutdown(Shutdown::Both).unwrap();
        return String::new();
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let mut answer = [0u8; 64];
    let n = s.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    answer.lines().next().unwrap_or_default().to_string()
}

/// Announce a `Content-Length` body of `len` bytes, send only `sent` of
/// them, and drop the connection.
fn cut_short(gw: &Gateway, method: &str, user: &str, len: usize, sent: &[u8]) {
    assert!(sent.len() < len);
    let addr = gw.url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} /metrics/job/j/user/{user} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {PROTO}\r\nContent-Length: {len}\r\n\r\n"
    )
    .unwrap();
    s.write_all(sent).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.shutdown(Shutdown::Both).unwrap();
}

fn families(gw: &Gateway, user: &str) -> Option<Vec<String>> {
    gw.group(&[("job", "j"), ("user", user)])
        .map(|g| g.families.keys().cloned().collect())
}

/// Give the gateway time to act on the dropped connections (it would store
/// through the same queue the delete below goes through), then a request.
fn settled(gw: &Gateway) {
    std::thread::sleep(Duration::from_millis(300));
    let r = run(&[
        "delete",
        "--job",
        "settle",
        "--user",
        "x",
        "--gateway",
        &gw.url,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_chunked_put_lands_and_a_broken_one_stores_nothing() {
    let gw = Gateway::start();
    let body = body();
    let ends = message_ends(&body);
    assert_eq!(ends.len(), 3, "three families");

    let status = chunked(
        &gw,
        "PUT",
        "whole",
        &[&body[..ends[0]], &body[ends[0]..]],
        true,
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(families(&gw, "whole").unwrap(), ["a", "b", "c"]);

    // Cut inside a message, and cut exactly after whole messages: either
    // way the existing group keeps what it had.
    chunked(&gw, "PUT", "whole", &[&body[..ends[0] + 3]], false);
    chunked(&gw, "PUT", "whole", &[&body[..ends[0]]], false);
    chunked(&gw, "POST", "whole", &[&body[..ends[1]]], false);
    settled(&gw);
    assert_eq!(families(&gw, "whole").unwrap(), ["a", "b", "c"]);

    // A group that did not exist is not created by a broken push.
    chunked(&gw, "PUT", "fresh", &[&body[..ends[1]]], false);
    settled(&gw);
    assert_eq!(families(&gw, "fresh"), None);
}

#[test]
fn a_content_length_body_cut_short_stores_nothing() {
    let gw = Gateway::start();
    let body = body();
    let ends = message_ends(&body);
    let (_dir, path) = artifact(ARTIFACT);
    let r = run(&["push", &path, "j", "--user", "whole", "--gateway", &gw.url]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(families(&gw, "whole").unwrap(), ["a", "b", "c"]);

    // Cut inside a message, and exactly after whole messages.
    cut_short(&gw, "PUT", "whole", body.len(), &body[..ends[0] + 3]);
    cut_short(&gw, "PUT", "whole", body.len(), &body[..ends[1]]);
    cut_short(&gw, "POST", "whole", body.len(), &body[..ends[0]]);
    cut_short(&gw, "PUT", "fresh", body.len(), &body[..ends[1]]);
    settled(&gw);
    assert_eq!(families(&gw, "whole").unwrap(), ["a", "b", "c"]);
    assert_eq!(families(&gw, "fresh"), None);
}
