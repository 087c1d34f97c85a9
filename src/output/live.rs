//! The live status a terminal shows while waiting: one line per target,
//! redrawn in place.
//!
//! A frame is laid out when it is written, with the terminal's size at that
//! moment, so that it follows resizes. It never takes more lines than the
//! terminal has less one (more would scroll, and every redraw would then
//! leave a copy in the scrollback): targets that do not fit are summarised in
//! a last line. Only ASCII is drawn, so that every terminal counts columns alike. Lines are cut to the width rather than left to wrap, and the
//! targets still waiting are shown before the ready ones.

use std::fmt::Write as _;

use crate::human;
use crate::secret;

/// How many rows a frame carries at most: more than any terminal shows.
pub const ROWS_AT_MOST: usize = 500;
/// What stands for a cut: ASCII, because a terminal without a UTF-8 locale
/// counts `…` as three columns and would wrap a line that fits.
const CUT: &str = "...";
/// The narrowest the name column gets before names are cut.
const NAME_WIDTH_AT_LEAST: usize = 12;

/// One state of the wait, as the live status shows it.
pub struct Frame {
    /// Waiting targets first, then ready ones; at most [`ROWS_AT_MOST`].
    pub rows: Vec<Row>,
    pub waiting: usize,
    pub ready: usize,
}

pub struct Row {
    pub ready: bool,
    pub name: String,
    pub attempts: u32,
    /// The reason it is not ready, or how long it took.
    pub detail: String,
}

/// What the previous frame left on the terminal, to draw the next over it.
#[derive(Default)]
pub struct Terminal {
    /// The width, in columns, of each line the previous frame drew.
    drawn: Vec<usize>,
}

impl Terminal {
    /// Appends to `out` what moves back over the previous frame and draws `frame`.
    pub fn draw(&mut self, frame: &Frame, out: &mut Vec<u8>) {
        let (width, height) = size();
        let mut screen = String::new();
        // Where the width shrank, a terminal that re-wraps its lines shows a
        // previous line on more than one row: go back over all of them.
        let rows_up: usize = self.drawn.iter().map(|&w| w.div_ceil(width).max(1)).sum();
        // Cursor up and to the first column: CSI n F would do both, but tmux ignores it.
        if rows_up > 0 {
            let _ = write!(screen, "\r\x1b[{rows_up}A");
        }
        self.drawn.clear();
        for line in layout(frame, width, height) {
            // Masked before the cut, so that no part of a secret is left at it.
            let shown: String = secret::masked(&line).chars().take(width - 1).collect();
            self.drawn.push(shown.chars().count());
            // Clear the line and write it. Not one erase of everything below at
            // the start: at the top left corner, tmux keeps a copy of the screen
            // in its scrollback for that, on every redraw.
            let _ = writeln!(screen, "\x1b[2K{shown}");
        }
        // Whatever the previous frame drew below this one.
        screen.push_str("\x1b[J");
        out.extend_from_slice(screen.as_bytes());
    }

    /// Leaves the frame on screen as it is: the next starts below it.
    pub fn release(&mut self) {
        self.drawn.clear();
    }
}

/// The lines of `frame` for a terminal of `width` × `height`.
fn layout(frame: &Frame, width: usize, height: usize) -> Vec<String> {
    let lines_at_most = height.saturating_sub(1).max(1);
    let total = frame.waiting + frame.ready;
    let shown = match total <= lines_at_most {
        true => total.min(frame.rows.len()),
        // One line is kept for the summary.
        false => (lines_at_most - 1).min(frame.rows.len()),
    };
    let rows = &frame.rows[..shown];
    let tries: Vec<String> = rows
        .iter()
        .map(|row| human::count(row.attempts, "try", "tries"))
        .collect();
    let tries_width = tries.iter().map(String::len).max().unwrap_or(0);
    // Fixed columns: the state (7), the tries, the gaps; the reason gets at least 10.
    let fixed = 2 + 7 + 2 + tries_width + 2 + 2;
    let longest = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let name_width = longest.min(width.saturating_sub(fixed + 10).max(NAME_WIDTH_AT_LEAST));
    let mut lines: Vec<String> = rows
        .iter()
        .zip(&tries)
        .map(|(row, tries)| {
            let state = if row.ready { "ready" } else { "waiting" };
            format!(
                "  {state:<7}  {:<name_width$}  {tries:>tries_width$}  {}",
                cut(&row.name, name_width),
                row.detail
            )
        })
        .collect();
    if shown < total {
        let waiting_shown = rows.iter().filter(|r| !r.ready).count();
        let ready_shown = shown - waiting_shown;
        let mut more = Vec::new();
        if frame.waiting > waiting_shown {
            more.push(format!("{} not ready", frame.waiting - waiting_shown));
        }
        if frame.ready > ready_shown {
            more.push(format!("{} ready", frame.ready - ready_shown));
        }
        lines.push(format!(
            "  {CUT} and {} more ({}); {} of {total} ready",
            total - shown,
            more.join(", "),
            frame.ready
        ));
    }
    lines
}

/// `text` in at most `width` characters, its end replaced by `...` if cut.
fn cut(text: &str, width: usize) -> String {
    match text.chars().count() <= width {
        true => text.to_owned(),
        false => text
            .chars()
            .take(width.saturating_sub(CUT.len()))
            .chain(CUT.chars())
            .collect(),
    }
}

/// The terminal's width and height, or 80 × 24 when it does not say.
fn size() -> (usize, usize) {
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct it is given.
    let got =
        unsafe { nix::libc::ioctl(nix::libc::STDERR_FILENO, nix::libc::TIOCGWINSZ, &mut size) };
    match (got, size.ws_col, size.ws_row) {
        (0, 1.., 1..) => (usize::from(size.ws_col).max(2), usize::from(size.ws_row)),
        _ => (80, 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(waiting: usize, ready: usize) -> Frame {
        let row = |i: usize, ready: bool| Row {
            ready,
            name: format!("127.0.0.1:{}", 20_000 + i),
            attempts: 1 + i as u32,
            detail: "connection refused".into(),
        };
        Frame {
            rows: (0..waiting)
                .map(|i| row(i, false))
                .chain((0..ready).map(|i| row(waiting + i, true)))
                .collect(),
            waiting,
            ready,
        }
    }

    #[test]
    fn never_more_lines_than_the_terminal_has() {
        let lines = layout(&frame(20, 5), 40, 10);
        assert_eq!(lines.len(), 9);
        assert!(lines[..8].iter().all(|l| l.contains("waiting")));
        assert_eq!(
            lines[8],
            "  ... and 17 more (12 not ready, 5 ready); 5 of 25 ready"
        );
        assert_eq!(layout(&frame(3, 0), 40, 10).len(), 3);
        assert_eq!(layout(&frame(3, 0), 40, 1).len(), 1);
    }

    #[test]
    fn long_names_are_cut_and_counts_agree_in_number() {
        let mut f = frame(1, 0);
        f.rows[0].name = "x".repeat(300);
        let line = &layout(&f, 80, 24)[0];
        assert!(line.contains("xx...") && line.contains("1 try  connection refused"));
        assert!(line.chars().count() < 100, "{line}");
    }

    #[test]
    fn a_redraw_goes_back_over_the_previous_frame() {
        let mut terminal = Terminal::default();
        let mut out = Vec::new();
        terminal.draw(&frame(2, 0), &mut out);
        assert!(!String::from_utf8_lossy(&out).contains("\x1b[2A"));
        out.clear();
        terminal.draw(&frame(2, 0), &mut out);
        assert!(String::from_utf8_lossy(&out).starts_with("\r\x1b[2A\x1b[2K"));
        terminal.release();
        out.clear();
        terminal.draw(&frame(2, 0), &mut out);
        assert!(String::from_utf8_lossy(&out).starts_with("\x1b[2K"));
    }
}
