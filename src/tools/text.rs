//! Keeping tool output within what the model should read: long output keeps
//! its head and tail, and says how much was cut.

/// Bytes of one tool result the model is sent: the dispatcher cuts every
/// result to this, once (head and tail kept).
pub const OUTPUT_CAP: usize = 30_000;

/// Cuts `text` to at most `limit` bytes, keeping the first and last halves
/// (on character boundaries) and saying how many bytes were left out.
pub fn head_and_tail(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let half = limit / 2;
    let head_end = floor_boundary(text, half);
    let tail_start = ceil_boundary(text, text.len() - half);
    let cut = tail_start - head_end;
    format!(
        "{}\n[… {cut} bytes cut from the middle …]\n{}",
        &text[..head_end],
        &text[tail_start..]
    )
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// True when the bytes look binary (a NUL in the first 8 KiB), as git decides.
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|b| *b == 0)
}

/// `bytes` as lowercase hexadecimal (digests shown and stored as text).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail() {
        let text = "a".repeat(50) + &"b".repeat(50);
        let cut = head_and_tail(&text, 20);
        assert!(cut.starts_with("aaaaaaaaaa\n[… 80 bytes cut"), "{cut}");
        assert!(cut.ends_with("bbbbbbbbbb"), "{cut}");
        assert_eq!(head_and_tail("short", 20), "short");
    }

    #[test]
    fn never_splits_a_character() {
        let text = "é".repeat(100);
        let cut = head_and_tail(&text, 31);
        assert!(cut.contains("bytes cut"));
    }
}
