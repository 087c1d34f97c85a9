//! The secrets waitfor holds, and the one place where they are masked.
//!
//! A secret is a password (or token) in a TARGET, an HTTP header value, a
//! request body, and every value `${VAR}` or `VAR_FILE` puts anywhere but in
//! a TARGET's host and port. Each is kept here ([`keep`]) the moment it is
//! read, before anything could quote it; from then on every line waitfor
//! writes, in every format and face, passes through [`masked`] where it is
//! written (the output queue, the live status), and what is cut is masked
//! before the cut ([`masked_start`], [`masked_end`]: `human`'s shortening,
//! a reply's preview), so that no part of a secret is left at a cut.
//!
//! Masking looks for each secret in every form it can take in a line: as it
//! is, percent-encoded, and escaped as Rust's Debug or JSON escape it (also
//! one inside the other), and masks the whole secret and every run of
//! [`RUN_AT_LEAST`] or more of its characters (a server that echoes half a
//! password, or the token of a `Bearer` header). A password shorter than
//! [`WHOLE_AT_LEAST`] characters cannot be told from ordinary words: what
//! may quote a server or a command (every reason an attempt gives:
//! [`screened`]) is then withheld whole wherever it holds one. A header
//! value, body or expanded value that short is no credential (`X-Debug: 1`)
//! and is not kept.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::RwLock;

/// A secret this long or longer is masked wherever it appears.
pub const WHOLE_AT_LEAST: usize = 4;
/// Any run of this many characters of a secret is masked too.
pub const RUN_AT_LEAST: usize = 6;
/// What a masked secret is shown as.
const MASK: &str = "***";

/// One secret, as its characters and as the runs of them that are masked.
struct Secret {
    chars: Vec<char>,
    /// Every [`RUN_AT_LEAST`]-character window of the secret.
    runs: HashSet<[char; RUN_AT_LEAST]>,
}

/// Secrets kept, and what masks text for them.
#[derive(Default)]
struct Secrets(Vec<Secret>);

/// The secrets of this process: every line it writes is masked for them.
static KEPT: RwLock<Secrets> = RwLock::new(Secrets(Vec::new()));

fn kept() -> std::sync::RwLockReadGuard<'static, Secrets> {
    KEPT.read().unwrap_or_else(|poison| poison.into_inner())
}

/// Keeps `secret`, a header value, a body or an expanded value, so that no
/// line waitfor writes shows it from now on; its words (`Bearer TOKEN`:
/// `TOKEN`) as well. One shorter than [`WHOLE_AT_LEAST`] is no credential.
pub fn keep(secret: &str) {
    KEPT.write()
        .unwrap_or_else(|poison| poison.into_inner())
        .keep(secret);
}

/// Keeps a password or token, however short.
pub fn keep_password(password: &str) {
    KEPT.write()
        .unwrap_or_else(|poison| poison.into_inner())
        .keep_password(password);
}

/// `text` with every secret of [`WHOLE_AT_LEAST`] characters or more, and
/// every run of [`RUN_AT_LEAST`] characters of one, shown as `***`, in
/// whatever form it takes there.
pub fn masked(text: &str) -> String {
    kept().masked(text)
}

/// The first `count` characters of `text` as they show once it is masked:
/// only the start of a long text (and a margin past it) is read, so that
/// quoting a 64 KiB reply costs no more than quoting its start.
pub fn masked_start(text: &str, count: usize) -> String {
    kept().masked_start(text, count)
}

/// The last `count` characters of `text` as they show once it is masked.
pub fn masked_end(text: &str, count: usize) -> String {
    kept().masked_end(text, count)
}

/// What came from outside (a server's words, a command's output), screened:
/// withheld whole where it holds a password too short to mask without
/// masking ordinary words; else as it is (it is masked where it is cut or
/// written).
pub fn screened(text: &str) -> String {
    kept().screened(text)
}

/// How far past a cut the masker reads, in characters, so that a secret that
/// crosses the cut is found there too: [`RUN_AT_LEAST`] of a secret's
/// characters, each written as long as any form makes one (`\\\\u{10ffff}`,
/// escaped twice, is 12; a UTF-8 character percent-encoded, 12).
const MARGIN: usize = 16 * RUN_AT_LEAST;

impl Secrets {
    fn keep(&mut self, secret: &str) {
        let words = secret.split_whitespace().filter(|word| *word != secret);
        for secret in std::iter::once(secret).chain(words) {
            if secret.chars().count() >= WHOLE_AT_LEAST {
                self.keep_password(secret);
            }
        }
    }

    fn keep_password(&mut self, password: &str) {
        let chars: Vec<char> = password.chars().map(fold).collect();
        if chars.is_empty() || self.0.iter().any(|known| known.chars == chars) {
            return;
        }
        let runs = chars
            .windows(RUN_AT_LEAST)
            .map(|run| run.try_into().expect("a window of RUN_AT_LEAST"))
            .collect();
        self.0.push(Secret { chars, runs });
    }

    fn masked(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        let mut found = Vec::new();
        for stream in streams(text) {
            for secret in self.0.iter().filter(|s| s.chars.len() >= WHOLE_AT_LEAST) {
                secret.find_in(&stream, &mut found);
            }
        }
        replaced(text, found)
    }

    fn masked_start(&self, text: &str, count: usize) -> String {
        let region: String = text.chars().take(count + MARGIN).collect();
        self.within(text, region).chars().take(count).collect()
    }

    fn masked_end(&self, text: &str, count: usize) -> String {
        let length = text.chars().count();
        let region: String = text
            .chars()
            .skip(length.saturating_sub(count + MARGIN))
            .collect();
        let masked = self.within(text, region);
        let masked_length = masked.chars().count();
        masked
            .chars()
            .skip(masked_length.saturating_sub(count))
            .collect()
    }

    /// `region` of `text`, masked; `text` masked whole where so much of the
    /// region was masked away that what is shown would reach into the margin.
    fn within(&self, text: &str, region: String) -> String {
        let masked_region = self.masked(&region);
        let lost = region.chars().count() - masked_region.chars().count();
        match region.len() < text.len() && lost > MARGIN / 2 {
            true => self.masked(text),
            false => masked_region,
        }
    }

    fn screened(&self, text: &str) -> String {
        let mut short = self
            .0
            .iter()
            .filter(|secret| secret.chars.len() < WHOLE_AT_LEAST)
            .peekable();
        // Most runs keep no short password: the line is not even decoded then.
        let holds_short = short.peek().is_some() && {
            let streams = streams(text);
            short.any(|secret| {
                streams
                    .iter()
                    .any(|stream| secret.whole_in(stream).is_some())
            })
        };
        match holds_short {
            true => format!(
                "({} bytes withheld: they hold a secret too short to mask)",
                text.len()
            ),
            false => text.to_owned(),
        }
    }
}

/// One character of a line, as a secret is compared with it, and where it
/// stands in the line (bytes).
type Stream = Vec<(char, Range<usize>)>;

/// A space and a `+` stand for each other (form encoding writes a space as `+`).
fn fold(c: char) -> char {
    match c {
        '+' => ' ',
        c => c,
    }
}

/// The line as it is, and with one and with two layers of escapes undone
/// (a Debug-quoted reply inside a JSON line is two).
fn streams(text: &str) -> [Stream; 3] {
    let raw: Stream = text
        .char_indices()
        .map(|(at, c)| (c, at..at + c.len_utf8()))
        .collect();
    let once = decoded(&raw);
    let twice = decoded(&once);
    [raw, once, twice]
}

/// `stream` with one layer of percent-encoding and backslash escapes
/// (Debug's and JSON's) undone, each character standing where its escape stood.
fn decoded(stream: &[(char, Range<usize>)]) -> Stream {
    let mut out = Stream::with_capacity(stream.len());
    let mut at = 0;
    while at < stream.len() {
        let undone = match stream[at].0 {
            '%' => percent_encoded(stream, at),
            '\\' => escaped(stream, at),
            _ => None,
        };
        match undone {
            Some((c, end)) => {
                out.push((c, stream[at].1.start..stream[end - 1].1.end));
                at = end;
            }
            None => {
                out.push(stream[at].clone());
                at += 1;
            }
        }
    }
    out
}

/// The value of the hexadecimal digits `stream[from..from + count]`.
fn hex(stream: &[(char, Range<usize>)], from: usize, count: usize) -> Option<u32> {
    let digits = stream.get(from..from + count)?;
    digits
        .iter()
        .try_fold(0u32, |value, (c, _)| Some(value * 16 + c.to_digit(16)?))
}

/// The character `%XX[%XX…]` at `at` stands for (its UTF-8 bytes), and where it ends.
fn percent_encoded(stream: &[(char, Range<usize>)], at: usize) -> Option<(char, usize)> {
    let byte = |i: usize| -> Option<u8> {
        let start = at + 3 * i;
        match stream.get(start)?.0 {
            '%' => u8::try_from(hex(stream, start + 1, 2)?).ok(),
            _ => None,
        }
    };
    let length = match byte(0)? {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let bytes: Vec<u8> = (0..length).map(byte).collect::<Option<_>>()?;
    let c = std::str::from_utf8(&bytes).ok()?.chars().next()?;
    Some((c, at + 3 * length))
}

/// The character a backslash escape at `at` stands for, and where it ends:
/// `\\`, `\n`, `\"`, `\u{e9}`, `\u00e9` (and surrogate pairs), `\x41`.
fn escaped(stream: &[(char, Range<usize>)], at: usize) -> Option<(char, usize)> {
    let simple = |c: char| Some((c, at + 2));
    match stream.get(at + 1)?.0 {
        'n' => simple('\n'),
        'r' => simple('\r'),
        't' => simple('\t'),
        '0' => simple('\0'),
        'b' => simple('\u{8}'),
        'f' => simple('\u{c}'),
        c @ ('\\' | '\'' | '"' | '/') => simple(c),
        'x' => Some((char::from_u32(hex(stream, at + 2, 2)?)?, at + 4)),
        'u' if stream.get(at + 2)?.0 == '{' => {
            let digits = stream[at + 3..]
                .iter()
                .take_while(|(c, _)| *c != '}')
                .count();
            let c = char::from_u32(hex(stream, at + 3, digits.min(6))?)?;
            Some((c, at + 3 + digits + 1)).filter(|(_, end)| *end <= stream.len())
        }
        'u' => {
            let high = hex(stream, at + 2, 4)?;
            if let Some(c) = char::from_u32(high) {
                return Some((c, at + 6));
            }
            // A surrogate pair: `\uD83D\uDE00`.
            let pair = stream.get(at + 6..at + 8)?;
            if pair[0].0 != '\\' || pair[1].0 != 'u' {
                return None;
            }
            let low = hex(stream, at + 8, 4)?;
            let c = char::decode_utf16([high as u16, low as u16]).next()?.ok()?;
            Some((c, at + 12))
        }
        _ => None,
    }
}

impl Secret {
    /// Marks where `stream` holds this secret whole, or a run of it.
    fn find_in(&self, stream: &[(char, Range<usize>)], found: &mut Vec<Range<usize>>) {
        let mut from = 0;
        while let Some(at) = self.whole_in(&stream[from..]) {
            let start = from + at;
            let end = start + self.chars.len() - 1;
            found.push(stream[start].1.start..stream[end].1.end);
            from = start + 1;
        }
        if self.runs.is_empty() {
            return;
        }
        let chars: Vec<char> = stream.iter().map(|(c, _)| fold(*c)).collect();
        for (start, window) in chars.windows(RUN_AT_LEAST).enumerate() {
            let window: &[char; RUN_AT_LEAST] = window.try_into().expect("a window");
            if self.runs.contains(window) {
                let end = start + RUN_AT_LEAST - 1;
                found.push(stream[start].1.start..stream[end].1.end);
            }
        }
    }

    /// Where `stream` first holds the whole secret.
    fn whole_in(&self, stream: &[(char, Range<usize>)]) -> Option<usize> {
        let length = self.chars.len();
        (0..(stream.len() + 1).saturating_sub(length)).find(|&start| {
            stream[start..start + length]
                .iter()
                .zip(&self.chars)
                .all(|((c, _), wanted)| fold(*c) == *wanted)
        })
    }
}

/// `text` with the byte ranges `found` (overlapping, in any order) shown as `***`.
fn replaced(text: &str, mut found: Vec<Range<usize>>) -> String {
    if found.is_empty() {
        return text.to_owned();
    }
    found.sort_by_key(|range| range.start);
    let mut shown = String::with_capacity(text.len());
    let mut written = 0;
    let mut masking: Option<Range<usize>> = None;
    for range in found {
        match &mut masking {
            Some(current) if range.start <= current.end => current.end = current.end.max(range.end),
            _ => {
                if let Some(done) = masking.take() {
                    shown.push_str(&text[written..done.start]);
                    shown.push_str(MASK);
                    written = done.end;
                }
                masking = Some(range);
            }
        }
    }
    if let Some(done) = masking {
        shown.push_str(&text[written..done.start]);
        shown.push_str(MASK);
        written = done.end;
    }
    shown.push_str(&text[written..]);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets of the test's own: the process's are shared by every test.
    fn kept(secrets: &[&str]) -> Secrets {
        let mut kept = Secrets::default();
        secrets.iter().for_each(|secret| kept.keep(secret));
        kept
    }

    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secrets = kept(&["Pa'ss\\w0rd-Ke%y/é"]);
        let secret = "Pa'ss\\w0rd-Ke%y/é";
        let debug: String = secret.escape_debug().collect();
        let json = serde_json::to_string(secret).unwrap();
        let json_of_debug = serde_json::to_string(&format!("{secret:?}")).unwrap();
        let percent: String = secret
            .bytes()
            .map(|b| match b.is_ascii_alphanumeric() {
                true => (b as char).to_string(),
                false => format!("%{b:02x}"),
            })
            .collect();
        for form in [secret, &debug, &json, &json_of_debug, &percent] {
            let line = format!("the server said: {form} (end)");
            let shown = secrets.masked(&line);
            assert!(shown.starts_with("the server said: "), "{shown}");
            assert!(shown.ends_with(" (end)"), "{shown}");
            for part in ["Pa'ss", "w0rd", "Ke%y"] {
                assert!(!shown.contains(part), "{form}: {shown}");
            }
        }
    }

    #[test]
    fn runs_of_a_secret_and_its_words_are_masked() {
        let secrets = kept(&["Bearer eyJhbGciOiJIUzI1NiJ9.SignedPart-QmFzZTY0"]);
        // The token alone, and a cut that leaves only its start.
        // (The space before it is a run of the header's value too.)
        assert_eq!(
            secrets.masked("echo: eyJhbGciOiJIUzI1NiJ9.SignedPart-QmFzZTY0!"),
            "echo:***!"
        );
        assert_eq!(secrets.masked("got eyJhbGciOiJIU…"), "got***…");
        // Five characters of it are ordinary text.
        assert_eq!(secrets.masked("eyJhb"), "eyJhb");
    }

    #[test]
    fn a_longer_secret_is_masked_whole_around_a_shorter_one() {
        let secrets = kept(&["Shrt7", "Shrt7.LongerSecretTail"]);
        assert_eq!(secrets.masked("[Shrt7.LongerSecretTail]"), "[***]");
        assert_eq!(secrets.masked("[Shrt7]"), "[***]");
    }

    /// Only the start and end of a long text are read; a secret that crosses
    /// either cut, in any form, leaves nothing of itself on the shown side.
    #[test]
    fn a_secret_across_a_cut_is_masked_on_the_shown_side() {
        let secrets = kept(&["Cut'Across\\Secret-4b1e"]);
        let debug: String = "Cut'Across\\Secret-4b1e".escape_debug().collect();
        for form in ["Cut'Across\\Secret-4b1e".to_owned(), debug] {
            for at in 0..form.chars().count() {
                let text = format!("{}{form}{}", "x".repeat(100 - at), "y".repeat(5_000));
                let start = secrets.masked_start(&text, 100);
                assert!(
                    !start.contains("Cut'A") && !start.contains("Acro"),
                    "{start}"
                );
                let text = format!("{}{form}{}", "x".repeat(5_000), "y".repeat(at));
                let end = secrets.masked_end(&text, 30);
                assert!(!end.contains("4b1e") && !end.contains("Secr"), "{end}");
            }
        }
    }

    #[test]
    fn a_short_password_withholds_what_came_from_outside() {
        let mut secrets = kept(&["z7"]);
        assert_eq!(
            secrets.screened("z7 is no credential"),
            "z7 is no credential"
        );
        secrets.keep_password("q9");
        assert!(
            secrets
                .screened("ERR bad password q9 given")
                .contains("withheld")
        );
        assert_eq!(secrets.screened("nothing here"), "nothing here");
        // waitfor's own words are not searched for it.
        assert_eq!(secrets.masked("q9 q9"), "q9 q9");
    }
}
