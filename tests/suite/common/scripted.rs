//! A scripted HTTP server on loopback, for the faults a real Pushgateway
//! can't produce on demand: 5xx, 429 with Retry-After, hangs, resets; and,
//! over https ([`Scripted::start_https`]), for a server that can't run here
//! at all (the Kubernetes API). It records every request it receives, so
//! tests assert on what arrived.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server does with the n-th request (the last one repeats).
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with a status, extra headers and a body.
    Status(u16, &'static [(&'static str, &'static str)], &'static str),
    /// Read the request, then never answer.
    Hang,
    /// Read the headers and a few bytes of the body, then close with
    /// unread data pending, which makes the kernel send a TCP reset.
    ResetMidBody,
    /// Answer with a status and a body that never ends: the text, then
    /// spaces (valid JSON whitespace) until the client hangs up.
    Endless(u16, &'static str),
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Scripted {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
}

impl Scripted {
    pub fn start(script: Vec<Reply>) -> Scripted {
        Scripted::serving(script, None)
    }

    /// The same over https, with `pki`'s server certificate (signed by its
    /// `ca.pem`, valid for 127.0.0.1). A client that refuses the
    /// certificate never gets to send a request, so none is recorded.
    pub fn start_https(script: Vec<Reply>, pki: &super::secure::Pki) -> Scripted {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertificateDer::pem_file_iter(pki.path("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(pki.path("server-key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Scripted::serving(script, Some(Arc::new(config)))
    }

    fn serving(script: Vec<Reply>, tls: Option<Arc<rustls::ServerConfig>>) -> Scripted {
        assert!(!script.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let (reqs, stop2) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let reply = script[n.min(script.len() - 1)].clone();
                let (reqs, stop, tls) = (reqs.clone(), stop2.clone(), tls.clone());
                std::thread::spawn(move || match tls {
                    None => serve(conn, reply, &reqs, &stop),
                    Some(config) => {
                        let session = rustls::ServerConnection::new(config).unwrap();
                        serve(rustls::StreamOwned::new(session, conn), reply, &reqs, &stop)
                    }
                });
            }
        });
        Scripted {
            url,
            requests,
            stop,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let addr = self.url.split_once("://").map_or(&self.url[..], |(_, a)| a);
        let _ = TcpStream::connect(addr);
    }
}

fn serve<S: Read + Write>(conn: S, reply: Reply, reqs: &Mutex<Vec<Recorded>>, stop: &AtomicBool) {
    let at = Instant::now();
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return; // a wake-up connection
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if let Reply::ResetMidBody = reply {
        let mut some = vec![0; if chunked { 16 } else { len.min(16) }];
        let _ = reader.read_exact(&mut some);
        reqs.lock().unwrap().push(Recorded {
            method,
            path,
            headers,
            body: some,
            at,
        });
        return; // dropping with unread bytes pending sends RST
    }
    let body = if chunked {
        read_chunked(&mut reader)
    } else {
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        body
    };
    reqs.lock().unwrap().push(Recorded {
        method,
        path,
        headers,
        body,
        at,
    });
    let conn = reader.get_mut();
    match reply {
        Reply::Status(code, extra, text) => {
            let mut head = format!(
                "HTTP/1.1 {code} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                text.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            let _ = conn.write_all(format!("{head}\r\n{text}").as_bytes());
            let _ = conn.flush();
        }
        Reply::Endless(code, text) => {
            let head = format!("HTTP/1.1 {code} Scripted\r\nConnection: close\r\n\r\n{text}");
            let filler = vec![b' '; 64 * 1024];
            if conn.write_all(head.as_bytes()).is_ok() {
                while !stop.load(Ordering::SeqCst) && conn.write_all(&filler).is_ok() {}
            }
        }
        Reply::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::ResetMidBody => unreachable!(),
    }
}

/// A chunked body (what a client sends when it can't know the length
/// beforehand), decoded: as much as arrived whole.
fn read_chunked(r: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        if r.read_line(&mut size).unwrap_or(0) == 0 {
            return body;
        }
        let hex = size.trim().split(';').next().unwrap_or_default();
        let Ok(n) = usize::from_str_radix(hex, 16) else {
            return body;
        };
        if n == 0 {
            // Trailers, up to the empty line.
            let mut t = String::new();
            while r.read_line(&mut t).unwrap_or(0) > 0 && t != "\r\n" {
                t.clear();
            }
            return body;
        }
        let start = body.len();
        body.resize(start + n, 0);
        let mut crlf = [0; 2];
        if r.read_exact(&mut body[start..]).is_err() || r.read_exact(&mut crlf).is_err() {
            body.truncate(start);
            return body;
        }
    }
}
