//! Go's `flag` package, as the Go incumbents (dockerize, grpc_health_probe)
//! read their command lines: `-x` or `--x`, `-x=v` or `-x v` (a switch only
//! takes `-x=v`), flags before the first argument, `--` ends them; `-h` and
//! `-help` ask for the usage text; Go's durations (`300ms`, `1m30s`).
//! The errors are worded as Go's package words them.

use std::time::Duration;

/// The flags given, in order, and where the arguments after them begin.
pub struct Flags {
    given: Vec<(String, String)>,
    /// The index in the words read of the first argument after the flags.
    pub rest: usize,
}

/// Why the flags were not read.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `-h` or `-help`, where the tool defines neither.
    Help,
    /// Go's words for what is wrong (`flag provided but not defined: -x`).
    Error(String),
}

/// Reads `words` as a Go program whose flags are `switches` (no value) and
/// `valued` (a value each).
pub fn parse(words: &[String], switches: &[&str], valued: &[&str]) -> Result<Flags, Refusal> {
    let mut given = Vec::new();
    let mut i = 0;
    while let Some(word) = words.get(i) {
        if word.len() < 2 || !word.starts_with('-') {
            break;
        }
        i += 1;
        if word == "--" {
            break;
        }
        let name = word.strip_prefix("--").unwrap_or(&word[1..]);
        if name.is_empty() || name.starts_with(['-', '=']) {
            return Err(Refusal::Error(format!("bad flag syntax: {word}")));
        }
        let (name, inline) = match name.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (name, None),
        };
        let value = if switches.contains(&name) {
            let value = inline.unwrap_or_else(|| "true".to_owned());
            match value.as_str() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => "true".to_owned(),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => "false".to_owned(),
                _ => {
                    return Err(Refusal::Error(format!(
                        "invalid boolean value {value:?} for -{name}: parse error"
                    )));
                }
            }
        } else if valued.contains(&name) {
            match inline {
                Some(value) => value,
                None => {
                    let Some(value) = words.get(i) else {
                        return Err(Refusal::Error(format!("flag needs an argument: -{name}")));
                    };
                    i += 1;
                    value.clone()
                }
            }
        } else if name == "h" || name == "help" {
            return Err(Refusal::Help);
        } else {
            return Err(Refusal::Error(format!(
                "flag provided but not defined: -{name}"
            )));
        };
        given.push((name.to_owned(), value));
    }
    Ok(Flags { given, rest: i })
}

impl Flags {
    /// Every value given to `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.given
            .iter()
            .filter(|(given, _)| given == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The value given to `name` last, as Go keeps it.
    pub fn last(&self, name: &str) -> Option<&str> {
        self.all(name).last().copied()
    }

    /// Whether the switch `name` is on.
    pub fn switch(&self, name: &str) -> bool {
        self.last(name) == Some("true")
    }

    /// The names of the flags given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.given.iter().map(|(name, _)| name.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// The duration flag `name`, or `default`; Go's words when it is not one.
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, String> {
        match self.last(name) {
            None => Ok(default),
            Some(value) => duration(value)
                .map_err(|reason| format!("invalid value {value:?} for flag -{name}: {reason}")),
        }
    }
}

/// A Go duration (`300ms`, `1.5h`, `2h45m`, `0`); a negative one is zero.
pub fn duration(text: &str) -> Result<Duration, String> {
    let error = || "parse error".to_owned();
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(error());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(error)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| error())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(error()),
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    match negative {
        true => Ok(Duration::ZERO),
        false => Duration::try_from_secs_f64(total).map_err(|_| error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|&word| word.to_owned()).collect()
    }

    #[test]
    fn go_flag_syntax() {
        let args = words(&["-a", "1", "--b=2", "-on", "-off=false", "x", "-a", "3"]);
        let flags = parse(&args, &["on", "off"], &["a", "b"]).unwrap();
        assert_eq!((flags.all("a"), flags.last("b")), (vec!["1"], Some("2")));
        assert!(flags.switch("on") && !flags.switch("off"));
        assert_eq!(flags.rest, 5);
        assert_eq!(parse(&words(&["--", "-a"]), &[], &["a"]).unwrap().rest, 1);
        for (args, refusal) in [
            (&["-h"][..], Refusal::Help),
            (
                &["-x"],
                Refusal::Error("flag provided but not defined: -x".into()),
            ),
            (&["-a"], Refusal::Error("flag needs an argument: -a".into())),
            (&["---a"], Refusal::Error("bad flag syntax: ---a".into())),
            (
                &["-on=maybe"],
                Refusal::Error("invalid boolean value \"maybe\" for -on: parse error".into()),
            ),
        ] {
            assert_eq!(parse(&words(args), &["on"], &["a"]).err(), Some(refusal));
        }
    }

    #[test]
    fn go_durations() {
        for (text, millis) in [
            ("10s", 10_000),
            ("1m30s", 90_000),
            ("1.5h", 5_400_000),
            ("300ms", 300),
            ("0", 0),
            ("-1s", 0),
        ] {
            assert_eq!(duration(text), Ok(Duration::from_millis(millis)), "{text}");
        }
        for bad in ["10", "", "1x", "s", "1.2.3s", "-"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
