//! The documentation's examples, read out of the pages themselves:
//! `README.md`, `CONTRIBUTING.md`, `BENCHMARKS.md` and every `docs/**/*.md`,
//! so a page added later is covered without editing this file. The
//! conventions are written for authors in CONTRIBUTING.md ("Examples in the
//! docs are run"):
//!
//! - a ` ```sh ` block is run as a bash script in a scratch directory that
//!   holds the repository's files, with the binary under test on `PATH`;
//!   host names are placeholders for real servers started here, on
//!   loopback, only when a block names them ([`PLACEHOLDERS`]);
//! - a line that runs another program (`kubectl`, `docker`, `cargo`, …) is
//!   not run; the files it names must exist;
//! - `<!-- not run: REASON -->` on the line before a block keeps it from
//!   running;
//! - every `simplepipe` command in any block, `$ simplepipe …` lines of
//!   transcripts included, must get through the binary's own argument
//!   parser.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use regex::Regex;

use crate::common::influx::Influx;
use crate::common::prometheus::Prometheus;
use crate::common::{repo, Gateway, S3Server, S3_ACCESS_KEY, S3_SECRET_KEY};

/// Programs whose lines are run; a line running anything else is only
/// checked for the files it names.
const RUN: [&str; 4] = ["simplepipe", "export", "cat", "echo"];

/// Host placeholders the pages use, and the real server each stands for.
pub const PLACEHOLDERS: [(&str, Server); 5] = [
    ("http://localhost:9091", Server::Gateway),
    ("http://pushgateway:9091", Server::Gateway),
    ("http://prometheus:9090", Server::RemoteWrite),
    ("http://influxdb:8086", Server::Influx),
    ("http://minio.argo:9000", Server::S3),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Gateway,
    RemoteWrite,
    Influx,
    S3,
}

/// A documentation page: its path from the repository root, and its text.
pub struct Page {
    pub path: String,
    pub text: String,
}

/// Every page the conventions apply to, in a stable order.
pub fn pages() -> Vec<Page> {
    let mut paths: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "BENCHMARKS.md"]
        .iter()
        .map(|p| repo().join(p))
        .collect();
    let mut docs = Vec::new();
    files_under(&repo().join("docs"), "md", &mut docs);
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| Page {
            path: p.strip_prefix(repo()).unwrap().display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

/// One page, by its path from the repository root.
pub fn page(path: &str) -> Page {
    Page {
        path: path.to_string(),
        text: std::fs::read_to_string(repo().join(path)).unwrap(),
    }
}

/// A fenced code block.
pub struct Block {
    pub page: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The info string (`sh`, `json`, …; empty for a plain fence).
    pub info: String,
    pub body: String,
    /// The reason given by `<!-- not run: REASON -->` just before it.
    pub not_run: Option<String>,
}

impl Block {
    pub fn is_sh(&self) -> bool {
        self.info.split_whitespace().next() == Some("sh")
    }

    fn at(&self) -> String {
        format!("{}:{}", self.page, self.line)
    }
}

pub fn blocks(page: &Page) -> Vec<Block> {
    let not_run = Regex::new(r"^<!--\s*not run:\s*(.+?)\s*-->$").unwrap();
    let lines: Vec<&str> = page.text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - lines[i].trim_start().len();
        let before = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        let reason = before.and_then(|l| not_run.captures(l.trim()).map(|c| c[1].to_string()));
        let start = i;
        let mut body = String::new();
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            body.push_str(lines[i].get(indent..).unwrap_or(lines[i].trim_start()));
            body.push('\n');
            i += 1;
        }
        assert!(
            i < lines.len(),
            "{}:{}: a fence that never closes",
            page.path,
            start + 1
        );
        out.push(Block {
            page: page.path.clone(),
            line: start + 1,
            info: info.trim().to_string(),
            body,
            not_run: reason,
        });
        i += 1;
    }
    out
}

/// A command line of a block: the line it starts on (within the block) and
/// its text, continuation lines joined and the comment cut.
#[derive(Debug)]
pub struct Line {
    pub offset: usize,
    pub text: String,
}

/// The command lines of a block: every line of an `sh` block; in any other
/// block, the lines of a transcript that start with `$ `.
pub fn command_lines(block: &Block) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pending: Option<Line> = None;
    for (n, raw) in block.body.lines().enumerate() {
        let raw = if block.is_sh() {
            raw
        } else if let Some(rest) = raw.trim_start().strip_prefix("$ ") {
            rest
        } else {
            continue;
        };
        let (text, continues) = match raw.trim_end().strip_suffix('\\') {
            Some(head) => (head.to_string(), true),
            None => (raw.to_string(), false),
        };
        let line = match pending.take() {
            Some(mut l) => {
                l.text.push(' ');
                l.text.push_str(text.trim());
                l
            }
            None => Line { offset: n, text },
        };
        if continues {
            pending = Some(line);
            continue;
        }
        let text = cut_comment(&line.text).trim().to_string();
        if !text.is_empty() {
            out.push(Line {
                offset: line.offset,
                text,
            });
        }
    }
    out
}

/// The line without its `# comment` (a `#` that starts a word, outside quotes).
fn cut_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev) = (false, false, ' ');
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

/// One simple command of a line: its words (quotes removed), without the
/// leading `NAME=value` assignments and the redirections; `outputs` are the
/// files it writes (`> FILE`).
#[derive(Debug, Default)]
pub struct Simple {
    pub words: Vec<String>,
    pub outputs: Vec<String>,
}

/// The simple commands of a line, split at `|`, `||`, `&&`, `;` and `&`.
pub fn simple_commands(line: &str) -> Vec<Simple> {
    let mut out = vec![Simple::default()];
    let mut redirect: Option<bool> = None; // Some(writes) after `>` or `<`
    for token in tokens(line) {
        match token {
            Token::Op(op) if matches!(op.as_str(), "|" | "||" | "&&" | ";" | "&") => {
                out.push(Simple::default());
            }
            Token::Op(op) => redirect = Some(op.contains('>')),
            Token::Word(w) => {
                let cmd = out.last_mut().unwrap();
                match redirect.take() {
                    Some(true) => cmd.outputs.push(w),
                    Some(false) => {}
                    None => cmd.words.push(w),
                }
            }
        }
    }
    let assignment = Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").unwrap();
    for cmd in &mut out {
        let keep = cmd.words.iter().position(|w| !assignment.is_match(w));
        cmd.words.drain(..keep.unwrap_or(cmd.words.len()));
    }
    out.retain(|c| !c.words.is_empty() || !c.outputs.is_empty());
    out
}

enum Token {
    Word(String),
    Op(String),
}

/// Shell words and operators, with sh's quoting: '…' literal, "…" with
/// `\"`, `\\` and `\$`, and a backslash escaping the next character.
fn tokens(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => out.extend(word.take().map(Token::Word)),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$')) => {
                            w.push(chars.next().unwrap())
                        }
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '|' | '&' | ';' | '>' | '<' => {
                // `2>`: a file descriptor before a redirection is part of it.
                let fd = word
                    .as_deref()
                    .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
                if fd && matches!(c, '>' | '<') {
                    word = None;
                } else {
                    out.extend(word.take().map(Token::Word));
                }
                let mut op = c.to_string();
                if chars.peek() == Some(&c) || (c == '>' && chars.peek() == Some(&'&')) {
                    op.push(chars.next().unwrap());
                }
                out.push(Token::Op(op));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word.map(Token::Word));
    out
}

/// Whether the binary's own argument parser accepts a `simplepipe …` command.
pub fn parses(words: &[String]) -> Result<(), String> {
    let argv: Vec<OsString> = words.iter().map(OsString::from).collect();
    match simplepipe::cli::parse::parse(argv) {
        simplepipe::cli::parse::Parsed::Usage(line) => Err(line),
        _ => Ok(()),
    }
}

/// Programs whose last argument is a path they create.
const CREATE: [&str; 6] = ["cp", "mv", "mkdir", "install", "ln", "touch"];

/// The repository paths the lines name that don't exist: words such as
/// `argo/overlays/alice` whose first directory is one of the repository's,
/// leaving out what the lines themselves create (a `> FILE`, the last
/// argument of `cp`, `mkdir`, …). A user's own files (`my-values.yaml`,
/// `./token`) are not the repository's and are not checked.
pub fn missing_files(lines: &[String]) -> Vec<String> {
    let file = Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*/[A-Za-z0-9_./-]*$").unwrap();
    let mut created: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for line in lines {
        for cmd in simple_commands(line) {
            created.extend(cmd.outputs.iter().cloned());
            if cmd
                .words
                .first()
                .is_some_and(|p| CREATE.contains(&p.as_str()))
            {
                created.extend(cmd.words.last().cloned());
            }
            for word in cmd.words.iter().skip(1).filter(|w| file.is_match(w)) {
                let top = word.split('/').next().unwrap();
                let made = created
                    .iter()
                    .any(|c| word == c || word.starts_with(&format!("{c}/")));
                if repo().join(top).exists() && !made && !repo().join(word).exists() {
                    missing.push(format!("`{line}` names {word}"));
                }
            }
        }
    }
    missing
}

/// The real servers behind the placeholders, each started the first time a
/// block names it and kept for the rest of the run.
#[derive(Default)]
pub struct Servers {
    gateway: Option<Gateway>,
    remote_write: Option<Prometheus>,
    influx: Option<Influx>,
    s3: Option<S3Server>,
}

impl Servers {
    fn url(&mut self, server: Server) -> String {
        match server {
            Server::Gateway => self.gateway.get_or_insert_with(Gateway::start).url.clone(),
            Server::RemoteWrite => self
                .remote_write
                .get_or_insert_with(|| {
                    Prometheus::start_with(
                        "global: {}\n",
                        &[],
                        &["--web.enable-remote-write-receiver"],
                    )
                })
                .url
                .clone(),
            Server::Influx => self.influx.get_or_insert_with(Influx::start).url.clone(),
            Server::S3 => self.s3.get_or_insert_with(S3Server::start).endpoint.clone(),
        }
    }

    /// The script with its placeholders replaced, after putting in place
    /// what its commands expect the servers to hold: the objects it reads
    /// from S3, the InfluxDB databases it writes to.
    fn prepare(&mut self, script: &str, at: &str) -> String {
        let urls = Regex::new(r#"https?://[^/\s"'`]+"#).unwrap();
        let mut out = script.to_string();
        for url in urls
            .find_iter(script)
            .map(|m| m.as_str())
            .collect::<BTreeSet<_>>()
        {
            let Some((_, server)) = PLACEHOLDERS.iter().find(|(p, _)| *p == url) else {
                panic!(
                    "{at}: {url} is not one of the placeholders the docs test maps to a real server \
                     ({}); use one, or mark the block <!-- not run: REASON -->",
                    PLACEHOLDERS.map(|(p, _)| p).join(", ")
                );
            };
            out = out.replace(url, &self.url(*server));
        }
        let objects = Regex::new(r"s3://([^/\s]+)/(\S+)").unwrap();
        for c in objects.captures_iter(script) {
            self.url(Server::S3);
            let s3 = self.s3.as_ref().unwrap();
            let json = std::fs::read(repo().join("examples/training-run.json")).unwrap();
            let key = &c[2];
            let body = if key.ends_with(".tgz") || key.ends_with(".tar.gz") {
                argo_archive(&json)
            } else {
                json
            };
            s3.put(&c[1], key, &body);
        }
        out = out
            .replace(
                "AWS_ACCESS_KEY_ID=admin",
                &format!("AWS_ACCESS_KEY_ID={S3_ACCESS_KEY}"),
            )
            .replace(
                "AWS_SECRET_ACCESS_KEY=...",
                &format!("AWS_SECRET_ACCESS_KEY={S3_SECRET_KEY}"),
            );
        let databases = Regex::new(r"--influx-db[ =](\S+)").unwrap();
        for c in databases.captures_iter(script) {
            self.url(Server::Influx);
            self.influx.as_ref().unwrap().create_database(&c[1]);
        }
        out
    }
}

/// An artifact as Argo archives an output: tar+gzip holding one file.
fn argo_archive(body: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "metric.json", body).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// A scratch directory holding the repository's top-level files and
/// directories as symbolic links, so examples name files as from the root
/// and what they write stays out of the repository.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if name != "target" && name != ".git" {
            std::os::unix::fs::symlink(&path, dir.path().join(name)).unwrap();
        }
    }
    dir
}

/// What running one `sh` block came to: the lines run, and those skipped
/// because they run another program.
pub struct Ran {
    pub run: Vec<String>,
    pub skipped: Vec<String>,
}

/// Run one `sh` block as written (see the module doc).
pub fn run_block(block: &Block, servers: &mut Servers, dir: &Path) -> Ran {
    let mut script = String::from("set -euo pipefail\n");
    script.push_str("trap 'echo \"failed: $at\" >&2' ERR\n");
    let mut ran = Ran {
        run: Vec::new(),
        skipped: Vec::new(),
    };
    for line in command_lines(block) {
        let at = format!("{}:{}", block.page, block.line + 1 + line.offset);
        let cmds = simple_commands(&line.text);
        if cmds
            .iter()
            .all(|c| c.words.first().is_some_and(|w| RUN.contains(&w.as_str())))
        {
            script.push_str(&format!("at='{at}: {}'\n", line.text.replace('\'', "")));
            script.push_str(&line.text);
            script.push('\n');
            ran.run.push(line.text);
        } else {
            ran.skipped.push(line.text);
        }
    }
    let script = servers.prepare(&script, &block.at());
    let bin = Path::new(env!("CARGO_BIN_EXE_simplepipe"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["120", "bash", "-c", &script])
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: the example failed ({}):\n{}\n--- stdout\n{}\n--- stderr\n{}",
        block.at(),
        out.status,
        script,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ran
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as hyphens; a repeated heading gets `-1`, `-2`, ….
pub fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let slug: String = heading
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

/// The relative links of a page (`[text](target)`), outside code blocks,
/// with their line numbers.
pub fn links(page: &Page) -> Vec<(usize, String)> {
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in page.text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for c in link.captures_iter(line) {
            let target = &c[1];
            if !target.contains("://") && !target.starts_with("mailto:") {
                out.push((n + 1, target.to_string()));
            }
        }
    }
    out
}

/// `a/b/../c` as `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            p => out.push(p),
        }
    }
    out
}

/// Every long option of every command (with the command that has it), and
/// every variable simplepipe and its tests read: those clap reads, and those
/// read directly (the secrets that are never a flag, the soak's duration,
/// where the MLflow venv is).
pub fn options_and_variables() -> (BTreeMap<String, String>, BTreeSet<String>) {
    fn walk(
        cmd: &clap::Command,
        path: &str,
        longs: &mut BTreeMap<String, String>,
        envs: &mut BTreeSet<String>,
    ) {
        for a in cmd.get_arguments() {
            if let Some(long) = a.get_long() {
                longs.insert(format!("--{long}"), path.to_string());
            }
            if let Some(env) = a.get_env() {
                envs.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), longs, envs);
        }
    }
    let mut cmd = <simplepipe::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    let (mut longs, mut envs) = (BTreeMap::new(), BTreeSet::new());
    walk(&cmd, "simplepipe", &mut longs, &mut envs);
    let literal = Regex::new(r#""(SIMPLEPIPE_[A-Z0-9_]+)""#).unwrap();
    let mut files = Vec::new();
    files_under(&repo().join("src"), "rs", &mut files);
    files_under(&repo().join("tests"), "rs", &mut files);
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        envs.extend(literal.captures_iter(&text).map(|c| c[1].to_string()));
    }
    (longs, envs)
}

/// Every file below `dir` whose name ends in `.EXT`.
fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The repository paths a page names in inline code (`` `src/sink/mod.rs` ``,
/// `` `argo/standard/` ``), outside code blocks, with their line numbers.
/// Placeholders (`src/sink/NAME.rs`) and globs are not paths.
pub fn named_paths(page: &Page) -> Vec<(usize, String)> {
    let path = Regex::new(
        r"`((?:src|tests|argo|examples|benches|schemas|fuzz|image|\.ci|docs)/[a-z0-9_./-]*)`",
    )
    .unwrap();
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in page.text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.extend(path.captures_iter(line).map(|c| (n + 1, c[1].to_string())));
        }
    }
    out
}
