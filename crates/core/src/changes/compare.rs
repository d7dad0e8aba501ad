//! What changed between two lists of clauses: clauses added, removed,
//! changed and renumbered, and within a changed clause the words.
//!
//! Matching, in this order, each clause used once:
//! 1. same number and same text: unchanged;
//! 2. same text under another number: renumbered;
//! 3. the most similar pairs of what is left (at least half the words in
//!    common, same number preferred): changed (and renumbered when the
//!    numbers differ);
//! 4. same number, however different the text: changed;
//! 5. the rest: removed (old) and added (new).
//!
//! The result is in the new version's order, a removed clause after the
//! change that precedes it in the old one. Same input, same output.

use std::collections::BTreeMap;

use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffTag};

use super::clauses::{Clause, Kind};

/// Least share of words in common for two differently numbered clauses to
/// be taken as one clause changed.
const MIN_SIMILARITY: f32 = 0.5;
/// Most pairs of clauses compared for similarity; beyond it only numbers
/// and exact texts match.
const MAX_PAIRS: usize = 250_000;

/// What happened to one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum What {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// Its words changed (its number may have changed too).
    Changed,
    /// Same words under another number.
    Renumbered,
}

/// A run of words, kept, deleted or inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// In both versions.
    Same,
    /// Only in the old version.
    Deleted,
    /// Only in the new version.
    Inserted,
}

/// Words of a changed clause, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Kept, deleted or inserted.
    pub op: Op,
    /// The words, separated by single spaces.
    pub text: String,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What happened.
    pub what: What,
    /// Clause or chapter heading.
    pub kind: Kind,
    /// The old clause (not for an added one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Clause>,
    /// The new clause (not for a removed one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Clause>,
    /// For a changed clause: its words, old and new interleaved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Segment>,
}

impl Change {
    /// The number to name the change by: the new one, else the old.
    pub fn number(&self) -> &str {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map_or("", |c| c.number.as_str())
    }
}

/// Counts of changes by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Clauses added.
    pub added: usize,
    /// Clauses removed.
    pub removed: usize,
    /// Clauses changed.
    pub changed: usize,
    /// Clauses renumbered, words unchanged.
    pub renumbered: usize,
    /// Clauses unchanged.
    pub unchanged: usize,
}

/// The changes from `old` to `new`, and their counts.
pub fn compare(old: &[Clause], new: &[Clause]) -> (Vec<Change>, Summary) {
    let pairs = match_clauses(old, new);
    let mut summary = Summary {
        unchanged: pairs.iter().filter(|(&o, &n)| old[o] == new[n]).count(),
        ..Summary::default()
    };
    let changes = ordered(old, new, &pairs);
    for c in &changes {
        match c.what {
            What::Added => summary.added += 1,
            What::Removed => summary.removed += 1,
            What::Changed => summary.changed += 1,
            What::Renumbered => summary.renumbered += 1,
        }
    }
    (changes, summary)
}

/// Old index -> new index of the clauses that are one clause.
fn match_clauses(old: &[Clause], new: &[Clause]) -> BTreeMap<usize, usize> {
    let mut m = Matching::new(old.len(), new.len());
    // 1. Same number, same text.
    m.pair_by(old, new, Clause::key, |o, n| o.text == n.text);
    // 2. Same text elsewhere.
    m.pair_by(old, new, |c| (c.kind, c.text.as_str()), |_, _| true);
    // 3. Most similar first.
    m.pair_similar(old, new);
    // 4. Same number.
    m.pair_by(old, new, Clause::key, |_, _| true);
    m.pairs
}

struct Matching {
    old_used: Vec<bool>,
    new_used: Vec<bool>,
    pairs: BTreeMap<usize, usize>,
}

impl Matching {
    fn new(old: usize, new: usize) -> Matching {
        Matching {
            old_used: vec![false; old],
            new_used: vec![false; new],
            pairs: BTreeMap::new(),
        }
    }

    fn pair(&mut self, o: usize, n: usize) {
        self.old_used[o] = true;
        self.new_used[n] = true;
        self.pairs.insert(o, n);
    }

    /// Pairs each unused old clause with the first unused new one of the
    /// same `key` for which `same` holds.
    fn pair_by<'a, K: Ord>(
        &mut self,
        old: &'a [Clause],
        new: &'a [Clause],
        key: impl Fn(&'a Clause) -> K,
        same: impl Fn(&Clause, &Clause) -> bool,
    ) {
        let mut index: BTreeMap<K, Vec<usize>> = BTreeMap::new();
        for (n, c) in new.iter().enumerate() {
            index.entry(key(c)).or_default().push(n);
        }
        for (o, oc) in old.iter().enumerate() {
            if self.old_used[o] {
                continue;
            }
            let found = index.get(&key(oc)).and_then(|candidates| {
                candidates
                    .iter()
                    .copied()
                    .find(|&n| !self.new_used[n] && same(oc, &new[n]))
            });
            if let Some(n) = found {
                self.pair(o, n);
            }
        }
    }

    /// Pairs what is left by similarity of words, best pairs first.
    fn pair_similar(&mut self, old: &[Clause], new: &[Clause]) {
        let olds: Vec<usize> = (0..old.len()).filter(|&o| !self.old_used[o]).collect();
        let news: Vec<usize> = (0..new.len()).filter(|&n| !self.new_used[n]).collect();
        if olds.len().saturating_mul(news.len()) > MAX_PAIRS {
            return;
        }
        let mut scored = Vec::new();
        for &o in &olds {
            for &n in &news {
                if old[o].kind != new[n].kind {
                    continue;
                }
                let ratio = similarity(&old[o].text, &new[n].text);
                if ratio >= MIN_SIMILARITY {
                    let same_number = old[o].key() == new[n].key();
                    // Integer score, so that the order is total and exact.
                    let score = (ratio * 10_000.0) as u32 + u32::from(same_number) * 1_000;
                    scored.push((std::cmp::Reverse(score), o, n));
                }
            }
        }
        scored.sort();
        for (_, o, n) in scored {
            if !self.old_used[o] && !self.new_used[n] {
                self.pair(o, n);
            }
        }
    }
}

/// The share of words two texts have in common, from 0 to 1.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let same: usize = capture_diff_slices(Algorithm::Myers, &a, &b)
        .iter()
        .filter(|op| op.tag() == DiffTag::Equal)
        .map(|op| op.old_range().len())
        .sum();
    (2 * same) as f32 / (a.len() + b.len()) as f32
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// The words of `old` and `new` as runs kept, deleted and inserted.
pub fn word_diff(old: &str, new: &str) -> Vec<Segment> {
    let (a, b) = (words(old), words(new));
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |op: Op, w: &[&str]| {
        if w.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => {
                last.text.push(' ');
                last.text.push_str(&w.join(" "));
            }
            _ => out.push(Segment {
                op,
                text: w.join(" "),
            }),
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &a, &b) {
        let (o, n) = (op.old_range(), op.new_range());
        match op.tag() {
            DiffTag::Equal => push(Op::Same, &a[o]),
            DiffTag::Delete => push(Op::Deleted, &a[o]),
            DiffTag::Insert => push(Op::Inserted, &b[n]),
            DiffTag::Replace => {
                push(Op::Deleted, &a[o]);
                push(Op::Inserted, &b[n]);
            }
        }
    }
    out
}

/// The changes in the new version's order; a removed clause comes after
/// the clause that precedes it in the old version (first, when none does).
fn ordered(old: &[Clause], new: &[Clause], pairs: &BTreeMap<usize, usize>) -> Vec<Change> {
    // Sort key: (position in the new version, tier, old index); tier 0 =
    // removed before any kept clause, 1 = the new clause itself, 2 =
    // removed after it.
    let mut keyed: Vec<((usize, u8, usize), Change)> = Vec::new();
    let old_of_new: BTreeMap<usize, usize> = pairs.iter().map(|(&o, &n)| (n, o)).collect();
    for (n, nc) in new.iter().enumerate() {
        let change = match old_of_new.get(&n) {
            None => Some(one(What::Added, None, Some(nc))),
            Some(&o) => changed(&old[o], nc),
        };
        if let Some(c) = change {
            keyed.push(((n, 1, 0), c));
        }
    }
    let mut after: Option<usize> = None; // the new place of the last kept old clause
    for (o, oc) in old.iter().enumerate() {
        match pairs.get(&o) {
            Some(&n) => after = Some(n),
            None => {
                let key = after.map_or((0, 0, o), |n| (n, 2, o));
                keyed.push((key, one(What::Removed, Some(oc), None)));
            }
        }
    }
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, c)| c).collect()
}

fn one(what: What, old: Option<&Clause>, new: Option<&Clause>) -> Change {
    Change {
        what,
        kind: old.or(new).map_or(Kind::Clause, |c| c.kind),
        old: old.cloned(),
        new: new.cloned(),
        words: Vec::new(),
    }
}

/// The change of a matched pair, or none when it is the same clause.
fn changed(old: &Clause, new: &Clause) -> Option<Change> {
    if old == new {
        return None;
    }
    if old.text == new.text {
        return Some(one(What::Renumbered, Some(old), Some(new)));
    }
    let mut c = one(What::Changed, Some(old), Some(new));
    c.words = word_diff(&old.text, &new.text);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: &str, t: &str) -> Clause {
        Clause::new(Kind::Clause, n, t)
    }

    fn shape(changes: &[Change]) -> Vec<(What, String)> {
        changes
            .iter()
            .map(|c| {
                let o = c.old.as_ref().map_or("", |c| c.number.as_str());
                let n = c.new.as_ref().map_or("", |c| c.number.as_str());
                (c.what, format!("{o}>{n}"))
            })
            .collect()
    }

    #[test]
    fn same_text_no_changes() {
        let v = vec![c("1.", "a b c"), c("2.", "d e f")];
        let (changes, s) = compare(&v, &v);
        assert!(changes.is_empty());
        assert_eq!(s.unchanged, 2);
    }

    #[test]
    fn added_removed_changed() {
        let old = vec![
            c("1.", "Noteikumi ir saistoši visiem darbiniekiem."),
            c("2.", "Darbinieks ir pieklājīgs."),
            c("3.", "Klientu sūdzības izskata izpilddirektors."),
        ];
        let new = vec![
            c("1.", "Noteikumi ir saistoši visiem KAC darbiniekiem."),
            c("3.", "Klientu sūdzības izskata izpilddirektors."),
            c("4.", "Darbinieks lieto valsts valodu."),
        ];
        let (changes, s) = compare(&old, &new);
        assert_eq!(
            shape(&changes),
            vec![
                (What::Changed, "1.>1.".into()),
                (What::Removed, "2.>".into()),
                (What::Added, ">4.".into()),
            ]
        );
        assert_eq!(
            s,
            Summary {
                added: 1,
                removed: 1,
                changed: 1,
                renumbered: 0,
                unchanged: 1
            }
        );
        assert_eq!(
            changes[0].words,
            vec![
                Segment {
                    op: Op::Same,
                    text: "Noteikumi ir saistoši visiem".into()
                },
                Segment {
                    op: Op::Inserted,
                    text: "KAC".into()
                },
                Segment {
                    op: Op::Same,
                    text: "darbiniekiem.".into()
                },
            ]
        );
    }

    #[test]
    fn renumbered_when_a_clause_is_inserted() {
        let old = vec![
            c("1.", "pirmais punkts par kārtību"),
            c("2.", "otrais punkts par klientiem un viņu tiesībām"),
            c("3.", "trešais punkts par sūdzībām"),
        ];
        let new = vec![
            c("1.", "pirmais punkts par kārtību"),
            c("2.", "jauns punkts par e-pastu"),
            c("3.", "otrais punkts par klientiem un viņu pienākumiem"),
            c("4.", "trešais punkts par sūdzībām"),
        ];
        let (changes, _) = compare(&old, &new);
        assert_eq!(
            shape(&changes),
            vec![
                (What::Added, ">2.".into()),
                (What::Changed, "2.>3.".into()),
                (What::Renumbered, "3.>4.".into()),
            ]
        );
    }

    #[test]
    fn removed_first_clause_comes_first() {
        let old = vec![c("1.", "x y z"), c("2.", "a b c")];
        let new = vec![c("1.", "a b c")];
        let (changes, _) = compare(&old, &new);
        assert_eq!(
            shape(&changes),
            vec![
                (What::Removed, "1.>".into()),
                (What::Renumbered, "2.>1.".into())
            ]
        );
    }

    #[test]
    fn reworded_clause_keeps_its_number() {
        let old = vec![c("5.", "viens divi trīs")];
        let new = vec![c("5.", "četri pieci seši septiņi")];
        let (changes, _) = compare(&old, &new);
        assert_eq!(shape(&changes), vec![(What::Changed, "5.>5.".into())]);
        assert_eq!(changes[0].words.len(), 2);
    }

    #[test]
    fn deterministic() {
        let old: Vec<Clause> = (1..60)
            .map(|i| c(&format!("{i}."), &format!("teksts {i} a b")))
            .collect();
        let new: Vec<Clause> = (1..60)
            .rev()
            .map(|i| c(&format!("{i}."), &format!("teksts {} a b c", i * 7 % 59)))
            .collect();
        assert_eq!(compare(&old, &new), compare(&old, &new));
    }
}
