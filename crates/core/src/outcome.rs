//! The one vocabulary of verification results, shared by every audit: an
//! acknowledgement, the sealed register, the log, a receipt, an annex and
//! an eDoc container.
//!
//! Each verification runs numbered steps ([`StepId`]); each step ends
//! [`Passed`](Outcome::Passed), [`Failed`](Outcome::Failed) or
//! [`Skipped`](Outcome::Skipped) with a sentence ([`Outcome`]), and a
//! report keeps it as a [`StepResult`]. The status is an enum: reports
//! serialise it to the words `passed`, `failed` and `skipped`, and nobody
//! compares those words. Whether a report's steps held is decided by one
//! rule, [`held`]: no step failed (a skipped step was not asked for and
//! counts for nothing).

use serde::Serialize;

/// How a step ended, without its sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check held.
    Passed,
    /// The check failed.
    Failed,
    /// The check was not asked for, or could not mean anything.
    Skipped,
}

impl Status {
    /// The word reports use: `passed`, `failed` or `skipped`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// How a step ended, with what was checked or why it failed or was skipped.
/// The text is safe to print when the step made it so (control characters
/// escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check held; what was checked.
    Passed(String),
    /// The check failed; why.
    Failed(String),
    /// The check was not asked for; why.
    Skipped(String),
}

impl Outcome {
    /// Its status.
    pub fn status(&self) -> Status {
        match self {
            Outcome::Passed(_) => Status::Passed,
            Outcome::Failed(_) => Status::Failed,
            Outcome::Skipped(_) => Status::Skipped,
        }
    }

    /// Its sentence.
    pub fn detail(&self) -> &str {
        match self {
            Outcome::Passed(d) | Outcome::Failed(d) | Outcome::Skipped(d) => d,
        }
    }

    /// Its status and its sentence.
    pub fn into_parts(self) -> (Status, String) {
        let status = self.status();
        match self {
            Outcome::Passed(d) | Outcome::Failed(d) | Outcome::Skipped(d) => (status, d),
        }
    }
}

/// A step of a verification: its number (from 1) and a one-word name, as
/// reports print them.
pub trait StepId: Copy {
    /// The step's number.
    fn number(self) -> u8;
    /// One word.
    fn name(self) -> &'static str;
}

/// One step's result, in every report (serialised as `step`, `status`,
/// `detail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult<S> {
    /// Which step.
    pub step: S,
    /// `passed`, `failed` or `skipped`.
    pub status: Status,
    /// What was checked, or why it failed or was skipped.
    pub detail: String,
}

impl<S> StepResult<S> {
    /// The result of `step` that ended with `outcome`, its sentence kept as
    /// it is.
    pub fn new(step: S, outcome: Outcome) -> Self {
        let (status, detail) = outcome.into_parts();
        StepResult {
            step,
            status,
            detail,
        }
    }

    /// The result of `step` with `outcome`'s sentence made printable and
    /// cut to `max_chars` characters.
    pub fn printable(step: S, outcome: Outcome, max_chars: usize) -> Self {
        let (status, detail) = outcome.into_parts();
        StepResult {
            step,
            status,
            detail: crate::text::printable(&detail, max_chars),
        }
    }

    /// True when the step failed.
    pub fn failed(&self) -> bool {
        self.status == Status::Failed
    }
}

/// The one rule: the steps held when none failed. A skipped step was not
/// asked for (no document given, no time stamp kept) and does not count
/// against the verification. Each report adds what it checks besides steps
/// (entries, forks, files) on top of this rule, never a rule of its own.
pub fn held<'a, S: 'a>(steps: impl IntoIterator<Item = &'a StepResult<S>>) -> bool {
    steps.into_iter().all(|s| !s.failed())
}

/// [`held`] with one step excused: the steps held when none failed but
/// `excused`. For a check that depends on the others and deliberately does
/// not depend on that one (the annex pages are compared even when a time
/// stamp failed, see `log::annex::log_valid`).
pub fn held_excusing<'a, S: PartialEq + 'a>(
    steps: impl IntoIterator<Item = &'a StepResult<S>>,
    excused: S,
) -> bool {
    held(steps.into_iter().filter(|s| s.step != excused))
}

/// How many steps failed, as verdict lines count them.
pub fn failed_count<'a, S: 'a>(steps: impl IntoIterator<Item = &'a StepResult<S>>) -> usize {
    steps.into_iter().filter(|s| s.failed()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    enum Demo {
        First,
        Second,
    }

    fn step(step: Demo, outcome: Outcome) -> StepResult<Demo> {
        StepResult::new(step, outcome)
    }

    #[test]
    fn statuses_serialise_to_todays_words() {
        for (status, word) in [
            (Status::Passed, "passed"),
            (Status::Failed, "failed"),
            (Status::Skipped, "skipped"),
        ] {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{word}\"")
            );
            assert_eq!(status.word(), word);
        }
    }

    #[test]
    fn a_step_result_serialises_as_step_status_detail() {
        let s = step(Demo::First, Outcome::Failed("why".into()));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"step":"First","status":"failed","detail":"why"}"#
        );
    }

    #[test]
    fn outcomes_convert_without_strings() {
        let o = Outcome::Skipped("not asked".into());
        assert_eq!(o.status(), Status::Skipped);
        assert_eq!(o.detail(), "not asked");
        assert_eq!(o.into_parts(), (Status::Skipped, "not asked".to_string()));
    }

    #[test]
    fn steps_hold_when_none_failed_and_skipped_ones_do_not_count() {
        let passed = step(Demo::First, Outcome::Passed("ok".into()));
        let skipped = step(Demo::Second, Outcome::Skipped("not asked".into()));
        let failed = step(Demo::Second, Outcome::Failed("bad".into()));
        assert!(held(&[] as &[StepResult<Demo>]));
        assert!(held(&[passed.clone(), skipped.clone()]));
        assert!(!held(&[passed.clone(), failed.clone()]));
        assert_eq!(
            failed_count(&[passed.clone(), failed.clone(), failed.clone()]),
            2
        );
        assert_eq!(failed_count(&[passed, skipped]), 0);
    }

    #[test]
    fn an_excused_step_is_the_only_one_that_may_fail() {
        let first_failed = step(Demo::First, Outcome::Failed("bad".into()));
        let second_failed = step(Demo::Second, Outcome::Failed("bad".into()));
        assert!(held_excusing(
            std::slice::from_ref(&second_failed),
            Demo::Second
        ));
        assert!(!held_excusing(
            &[first_failed.clone(), second_failed.clone()],
            Demo::Second
        ));
        assert!(!held_excusing(&[first_failed], Demo::Second));
        assert!(!held(&[second_failed]));
    }
}
