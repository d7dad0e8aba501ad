//! The administration page's status, kept between requests.
//!
//! On an organisation's log the page's status (every version of every
//! document, for every employee) takes tens of milliseconds to compute on
//! the writer's thread, longer while employees sign. The desk keeps the
//! last one computed ([`crate::view::AdminPage`], with the log size it
//! reflects): it is answered as it is while the log has not grown, and for
//! [`STALE_FOR`] after it was made even if it has by acknowledgements
//! alone (then a new one is made in the background, one at a time, for
//! the next request). A change of the people, the versions or the
//! administrators (the writer's directory made again) is shown at once. An older one
//! is made again before the answer; a change an administrator asked for
//! clears it ([`StatusCache::clear`]), so that the page they reload shows
//! it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::view::AdminPage;

/// How long a page's status may be answered after the log has grown.
pub const STALE_FOR: Duration = Duration::from_secs(1);

/// What to do with the page's status kept.
#[derive(Debug)]
pub enum Use {
    /// Answer it: it reflects the log, or it is young enough.
    Fresh(Arc<AdminPage>),
    /// Answer it, and make a new one in the background (this caller is
    /// the one to make it).
    Refresh(Arc<AdminPage>),
    /// Make a new one before answering.
    Make,
}

/// The page's status kept, and whether a new one is being made.
#[derive(Debug, Default)]
pub struct StatusCache {
    kept: Mutex<Option<(Instant, Arc<AdminPage>)>>,
    making: AtomicBool,
}

impl StatusCache {
    fn kept(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<AdminPage>)>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What to do for a request while the log's checkpoint is of `size`
    /// and the writer's directory of `generation`.
    pub fn use_for(&self, size: Option<u64>, generation: u64) -> Use {
        let Some((made, page)) = self.kept().clone() else {
            return Use::Make;
        };
        if page.generation != generation {
            return Use::Make;
        }
        if Some(page.size) == size {
            return Use::Fresh(page);
        }
        if made.elapsed() >= STALE_FOR {
            return Use::Make;
        }
        if self.making.swap(true, Ordering::AcqRel) {
            Use::Fresh(page)
        } else {
            Use::Refresh(page)
        }
    }

    /// Keeps `page`, just made; ends a background making.
    pub fn keep(&self, page: Arc<AdminPage>) {
        *self.kept() = Some((Instant::now(), page));
        self.making.store(false, Ordering::Release);
    }

    /// A background making failed: the next request may try.
    pub fn failed(&self) {
        self.making.store(false, Ordering::Release);
    }

    /// Forgets the page's status (after a change the administration
    /// asked for).
    pub fn clear(&self) {
        *self.kept() = None;
    }

    /// The page's status kept, if any.
    pub fn current(&self) -> Option<Arc<AdminPage>> {
        self.kept().as_ref().map(|(_, p)| p.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(size: u64) -> Arc<AdminPage> {
        Arc::new(AdminPage {
            summary: String::new(),
            versions: vec![],
            size,
            generation: 1,
        })
    }

    #[test]
    fn kept_while_the_log_is_the_same_refreshed_once_when_it_grows() {
        let c = StatusCache::default();
        assert!(matches!(c.use_for(Some(5), 1), Use::Make));
        c.keep(page(5));
        assert!(matches!(c.use_for(Some(5), 1), Use::Fresh(_)));
        assert!(matches!(c.use_for(Some(6), 1), Use::Refresh(_)));
        assert!(matches!(c.use_for(Some(6), 1), Use::Fresh(_)), "one maker");
        c.keep(page(6));
        assert!(matches!(c.use_for(Some(6), 1), Use::Fresh(_)));
        assert!(matches!(c.use_for(Some(6), 2), Use::Make), "people changed");
        c.clear();
        assert!(matches!(c.use_for(Some(6), 1), Use::Make));
        assert!(c.current().is_none());
    }
}
