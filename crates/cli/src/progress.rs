//! Feedback on long work, on stderr: an indicatif spinner on a terminal; otherwise a
//! line per stage, and for counted work a line every so many items, so that a log
//! written to a file shows where a run is.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chaff_learn::TrainingStep;
use indicatif::{ProgressBar, ProgressStyle};

/// Items between two lines when stderr is not a terminal.
const EVERY: usize = 1000;

/// Progress of one command.
pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    count: usize,
    what: &'static str,
    /// The training stage last shown (a line is written when it changes).
    training_stage: Mutex<String>,
}

impl Progress {
    /// Progress of a run that counts `what` (`"pages"`).
    pub fn new(what: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .expect("a static template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            count: 0,
            what,
            training_stage: Mutex::new(String::new()),
        }
    }

    /// A stage begins.
    pub fn stage(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(msg.to_string()),
            None => eprintln!("chaff: [{:.0} s] {msg}", self.start.elapsed().as_secs_f64()),
        }
    }

    /// Where training is: on a terminal a bar over the run's fits (with the time left)
    /// and the stage; otherwise a line when a stage begins, with the fits done so far.
    pub fn training(&self, step: TrainingStep) {
        match &self.bar {
            Some(bar) => {
                if bar.length() != Some(step.fits as u64) {
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} [{elapsed}] training [{bar:30}] {pos}/{len} fits, \
                             about {eta} left: {msg}",
                        )
                        .expect("a static template")
                        .progress_chars("=> "),
                    );
                    bar.set_length(step.fits as u64);
                }
                bar.set_position(step.fitted as u64);
                bar.set_message(step.stage.to_string());
            }
            None => {
                let mut last = self.training_stage.lock().expect("not poisoned");
                if *last != step.stage {
                    *last = step.stage.to_string();
                    eprintln!(
                        "chaff: [{:.0} s] training: {step}",
                        self.start.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }

    /// `n` more items are done.
    pub fn add(&mut self, n: usize) {
        let before = self.count;
        self.count += n;
        match &self.bar {
            Some(bar) => bar.set_message(format!("{} {}", self.count, self.what)),
            None if self.count / EVERY > before / EVERY => eprintln!(
                "chaff: [{:.0} s] {} {}",
                self.start.elapsed().as_secs_f64(),
                self.count,
                self.what
            ),
            None => {}
        }
    }

    /// Print `line` on stderr without breaking the spinner.
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// The work is done: the spinner goes.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `n` and the noun, singular or plural: "1 page", "2 pages".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
