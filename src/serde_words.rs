//! serde's messages in a user's words, a leaf.
//!
//! A typed reader (the admin's standard, a ModelOp line) fails with
//! serde's own text: "invalid type: string \"one\", expected f64",
//! "unknown variant `gage`", "expected a sequence". Those are Rust's words
//! (`f64`, `u64`, a "sequence", a "variant") and say nothing of what to
//! write instead. [`plain`] rewrites the messages serde builds from its
//! type words into "must be a number (e.g. 100 or 0.95), not the text
//! \"one\""; anything else (our own messages, `unknown field`, `missing
//! field`) is returned as it was.

/// serde's message `msg` in plain words (see the module doc).
pub fn plain(msg: &str) -> String {
    let typed = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    if let Some((got, expected)) = typed.and_then(|rest| rest.rsplit_once(", expected ")) {
        let hint = match (expected, got) {
            ("a string" | "a borrowed string", g) if is_scalar(g) => {
                format!(" (put it in quotes: \"{}\")", scalar_text(g))
            }
            _ => String::new(),
        };
        return format!("must be {}, not {}{hint}", wanted(expected), given(got));
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return match rest.split_once(", expected ") {
            Some((value, allowed)) => format!(
                "unknown value {value}; use {}",
                allowed.strip_prefix("one of ").unwrap_or(allowed)
            ),
            None => format!("unknown value {rest}"),
        };
    }
    msg.to_string()
}

/// What serde expected (its `Expected`), in words, with an example.
fn wanted(expected: &str) -> String {
    let words = match expected {
        "f64" | "f32" => "a number (e.g. 100 or 0.95)",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more (e.g. 3)",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number (e.g. -1 or 3)",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" => "text",
        "a character" => "a single character",
        "a sequence" => "a list ([a, b], or one `- item` per line)",
        "a map" => "a mapping (`key: value` lines, or {key: value})",
        other if other.starts_with("struct ") => "a mapping (`key: value` lines, or {key: value})",
        other => return other.to_string(),
    };
    words.to_string()
}

/// What was given instead (serde's `Unexpected`), in words.
fn given(got: &str) -> String {
    if let Some(s) = got.strip_prefix("string ") {
        return format!("the text {s}");
    }
    for (prefix, what) in [
        ("integer ", "the number"),
        ("floating point ", "the number"),
        ("boolean ", "the boolean"),
        ("character ", "the character"),
    ] {
        if let Some(v) = got.strip_prefix(prefix) {
            return format!("{what} {}", v.trim_matches('`'));
        }
    }
    match got {
        "sequence" => "a list".to_string(),
        "map" => "a mapping".to_string(),
        "unit value" | "null" | "Option value" => "empty (null)".to_string(),
        other => other.to_string(),
    }
}

fn is_scalar(got: &str) -> bool {
    ["integer ", "floating point ", "boolean "]
        .iter()
        .any(|p| got.starts_with(p))
}

fn scalar_text(got: &str) -> &str {
    got.split_once(' ')
        .map_or(got, |(_, v)| v.rsplit(' ').next().unwrap_or(v))
        .trim_matches('`')
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn serde_type_words_become_plain() {
        let cases = [
            (
                "invalid type: string \"one\", expected f64",
                "must be a number (e.g. 100 or 0.95), not the text \"one\"",
            ),
            (
                "invalid value: integer `-1`, expected u64",
                "must be a whole number, 0 or more (e.g. 3), not the number -1",
            ),
            (
                "invalid type: floating point `1.5`, expected i64",
                "must be a whole number (e.g. -1 or 3), not the number 1.5",
            ),
            (
                "invalid type: map, expected a sequence",
                "must be a list ([a, b], or one `- item` per line), not a mapping",
            ),
            (
                "invalid type: sequence, expected a map",
                "must be a mapping (`key: value` lines, or {key: value}), not a list",
            ),
            (
                "invalid type: string \"hello\", expected struct MetricRule",
                "must be a mapping (`key: value` lines, or {key: value}), not the text \"hello\"",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "must be text, not the number 5 (put it in quotes: \"5\")",
            ),
            (
                "invalid type: boolean `true`, expected a string",
                "must be text, not the boolean true (put it in quotes: \"true\")",
            ),
            (
                "invalid type: string \"maybe\", expected a boolean",
                "must be true or false, not the text \"maybe\"",
            ),
            (
                "invalid type: unit value, expected a string",
                "must be text, not empty (null)",
            ),
            (
                "unknown variant `gage`, expected one of `gauge`, `counter`",
                "unknown value `gage`; use `gauge`, `counter`",
            ),
            (
                "unknown variant `x`, expected `a` or `b`",
                "unknown value `x`; use `a` or `b`",
            ),
            ("unknown field `expcet`", "unknown field `expcet`"),
            ("anything of ours", "anything of ours"),
        ];
        for (serde, ours) in cases {
            assert_eq!(plain(serde), ours, "{serde}");
        }
    }
}
