//! How deep a standard's flow collections (`[…]`, `{…}`) nest, found by a
//! scan of the text before the YAML parser sees it: that parser looks at
//! every open level for each token, so its time grows with the square of
//! the depth (100,000 levels took 21.9 s). A standard is a few levels
//! deep; past [`MAX_DEPTH`] (serde_json's own limit for JSON) the text is
//! refused before it is parsed.

/// The deepest nesting of flow collections a standard may have.
pub const MAX_DEPTH: usize = 128;

/// The line (from 1) where the text first nests deeper than [`MAX_DEPTH`].
pub fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1;
    // The last byte that was not a space: a `[` or `{` opens a collection
    // only where a value starts (after `:`, `-`, `,`, `?`, an opener or a
    // line's indentation), not inside a plain scalar such as `see [docs`.
    let mut last = b'\n';
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b == b'\n' {
            line += 1;
            comment = false;
            if quote.is_none() {
                last = b'\n';
            }
            continue;
        }
        if comment {
            continue;
        }
        if let Some(q) = quote {
            match b {
                b'\\' if q == b'"' => i += 1,
                b'\'' if q == b'\'' && bytes.get(i) == Some(&b'\'') => i += 1,
                _ if b == q => {
                    quote = None;
                    last = b;
                }
                _ => {}
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\r' => continue,
            b'#' if matches!(last, b'\n') || bytes[i - 2].is_ascii_whitespace() => {
                comment = true;
                continue;
            }
            b'"' | b'\'' if starts_value(last) || depth > 0 => quote = Some(b),
            b'[' | b'{' if starts_value(last) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(line);
                }
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            _ => {}
        }
        last = b;
    }
    None
}

fn starts_value(last: u8) -> bool {
    matches!(last, b'\n' | b':' | b'-' | b',' | b'?' | b'[' | b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_found_and_text_is_not_counted() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(too_deep(&deep), Some(1));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&ok), None);
        let at_line_3 = format!("a: 1\nb: 2\nc: {}", "{x: ".repeat(MAX_DEPTH + 1));
        assert_eq!(too_deep(&at_line_3), Some(3));
        // Brackets in plain scalars, quoted strings and comments.
        let words = "help: see [docs [x\n".repeat(MAX_DEPTH + 1);
        assert_eq!(too_deep(&words), None);
        let quoted = format!("a: \"{}\"\nb: '{}'", "[".repeat(200), "{".repeat(200));
        assert_eq!(too_deep(&quoted), None);
        let comment = format!("a: 1 # {}", "[".repeat(200));
        assert_eq!(too_deep(&comment), None);
        let example = include_str!("../../examples/standard/ml-training.yaml");
        assert_eq!(too_deep(example), None);
    }
}
