//! Long texts cut into messages a platform accepts: at line breaks where possible, then at
//! sentence ends, then between words, and only as a last resort inside a word.

/// Splits `text` into parts of at most `max` units as `measure` counts them (characters for
/// Zalo, UTF-16 code units for Telegram). Joining the parts gives back the text.
pub fn split_text(text: &str, max: usize, measure: impl Fn(&str) -> usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut size = 0;
    for piece in pieces(text, max, &measure) {
        let n = measure(&piece);
        if size + n > max && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
            size = 0;
        }
        current.push_str(&piece);
        size += n;
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// The text as pieces no longer than `max`, cut at the gentlest boundary that works.
fn pieces(text: &str, max: usize, measure: &impl Fn(&str) -> usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        if measure(line) <= max {
            out.push(line.to_owned());
            continue;
        }
        for sentence in split_keeping(line, |w| w.ends_with(['.', '!', '?', ';'])) {
            if measure(&sentence) <= max {
                out.push(sentence);
                continue;
            }
            for word in split_keeping(&sentence, |_| true) {
                if measure(&word) <= max {
                    out.push(word);
                    continue;
                }
                let mut chunk = String::new();
                let mut size = 0;
                let mut buf = [0u8; 4];
                for c in word.chars() {
                    let n = measure(c.encode_utf8(&mut buf));
                    if size + n > max && !chunk.is_empty() {
                        out.push(std::mem::take(&mut chunk));
                        size = 0;
                    }
                    chunk.push(c);
                    size += n;
                }
                out.push(chunk);
            }
        }
    }
    out
}

/// Splits after the spaces that follow a word `ends` accepts; the spaces stay with the left
/// part.
fn split_keeping(text: &str, ends: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        current.push_str(word);
        if word.ends_with(' ') && ends(word.trim_end()) {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn lines_stay_whole_when_they_fit() {
        let line = "Bà con phấn khởi 🌾, mùa màng bội thu.\n";
        let text = line.repeat(80);
        let parts = split_text(&text, 2000, chars);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| chars(p) <= 2000));
        assert!(parts.iter().all(|p| p.ends_with('\n')), "cut at line ends");
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn a_long_paragraph_is_cut_at_sentence_ends() {
        let sentence = "Chi hội họp bàn việc giải phóng mặt bằng với bà con trong xóm. ";
        let text = sentence.repeat(60);
        let parts = split_text(&text, 2000, chars);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| chars(p) <= 2000));
        assert!(parts[..parts.len() - 1].iter().all(|p| p.ends_with(". ")));
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn words_and_then_characters_when_nothing_gentler_fits() {
        let text = "ệ".repeat(4500);
        let parts = split_text(&text, 2000, chars);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| chars(p) <= 2000));
        assert_eq!(parts.concat(), text);
        let words = "lúa ".repeat(1000);
        let parts = split_text(&words, 2000, chars);
        assert!(parts.iter().all(|p| chars(p) <= 2000 && p.ends_with(' ')));
        assert_eq!(parts.concat(), words);
        assert_eq!(split_text("", 2000, chars), vec![String::new()]);
    }
}
