//! Recording sent messages together.
//!
//! Every message the courier sends is marked `sent` once the platform has taken it. One
//! statement (and, on PostgreSQL, one commit) per message was a tenth of the database's work on
//! a deadline evening. Here the sends that finish while a mark is being written wait for the
//! next one, which records them all in a statement: alone, a mark is written at once; under
//! load, one commit records many. A send still returns only once its mark is committed, so
//! nothing counts as delivered before the database says so.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::storage::outbox;
use crate::storage::{StorageError, Store};

/// Most rows one statement marks.
const MOST: usize = 64;

/// Marks sent rows in batches (see the module's text).
pub(crate) struct SentMarks {
    store: Store,
    owner: String,
    queue: Mutex<Queue>,
    /// Marks that matched no row this courier held (see [`SentMarks::missed`]).
    missed: AtomicU64,
}

#[derive(Default)]
struct Queue {
    marks: Vec<Mark>,
    /// A task is writing marks; new ones join its next batch.
    writing: bool,
}

struct Mark {
    id: i64,
    at: i64,
    /// Whether the batch recorded it; dropped unanswered if the writer failed outright.
    done: oneshot::Sender<bool>,
}

impl SentMarks {
    pub fn new(store: Store, owner: String) -> Arc<Self> {
        Arc::new(Self {
            store,
            owner,
            queue: Mutex::default(),
            missed: AtomicU64::new(0),
        })
    }

    /// Records row `id` (leased by this courier) as sent at `at`, with the next batch. If the
    /// batch fails, the row is recorded alone, trying again for a while: a passing database
    /// hiccup must not leave it to be sent a second time when its lease ends.
    pub async fn mark(self: &Arc<Self>, id: i64, at: i64) -> Result<(), StorageError> {
        let (done, recorded) = oneshot::channel();
        let start = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.marks.push(Mark { id, at, done });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            let this = self.clone();
            tokio::spawn(async move { this.write().await });
        }
        match recorded.await {
            Ok(true) => Ok(()),
            _ => self.mark_alone(id, at).await,
        }
    }

    /// Sent messages whose mark matched no row this courier held: its lease had passed to
    /// another instance (which may send the message again) or the row was finished meanwhile.
    /// Each is logged and counted (`chihoi_outbox_sent_marks_missed_total`).
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }

    fn count_missed(&self, ids: &[i64], marked: u64) {
        let missed = (ids.len() as u64).saturating_sub(marked);
        if missed > 0 {
            self.missed.fetch_add(missed, Ordering::Relaxed);
            crate::metrics::sent_marks_missed(missed);
            tracing::warn!(
                ids = ?ids,
                missed,
                "a sent message matched no row this courier held: its lease was lost, it may go out twice"
            );
        }
    }

    /// Writes batches until no mark is waiting.
    async fn write(&self) {
        // A panic on the way must not leave the queue waiting for a writer that is gone: the
        // marks waiting are let go (they record themselves) and the next mark starts a writer.
        struct Unwind<'a>(&'a SentMarks);
        impl Drop for Unwind<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    let mut queue = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
                    queue.marks.clear();
                    queue.writing = false;
                }
            }
        }
        let _unwind = Unwind(self);
        loop {
            let mut batch = {
                let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                if queue.marks.is_empty() {
                    queue.writing = false;
                    return;
                }
                std::mem::take(&mut queue.marks)
            };
            batch.sort_by_key(|m| (m.at, m.id));
            let recorded = self.record(&batch).await.is_ok();
            for mark in batch {
                let _ = mark.done.send(recorded);
            }
        }
    }

    /// One statement per sending second and [`MOST`] rows.
    async fn record(&self, batch: &[Mark]) -> Result<(), StorageError> {
        let mut conn = self.store.acquire().await?;
        for same_second in batch.chunk_by(|a, b| a.at == b.at) {
            for chunk in same_second.chunks(MOST) {
                let mut ids: Vec<i64> = chunk.iter().map(|m| m.id).collect();
                ids.sort_unstable();
                ids.dedup();
                let marked =
                    outbox::mark_sent_many(&mut conn, &ids, &self.owner, chunk[0].at).await?;
                self.count_missed(&ids, marked);
            }
        }
        Ok(())
    }

    async fn mark_alone(&self, id: i64, at: i64) -> Result<(), StorageError> {
        let mut wait = Duration::from_millis(100);
        loop {
            let marked = async {
                let mut conn = self.store.acquire().await?;
                outbox::mark_sent(&mut conn, id, &self.owner, at).await
            };
            match marked.await {
                Ok(marked) => {
                    self.count_missed(&[id], u64::from(marked));
                    return Ok(());
                }
                Err(e) if wait < Duration::from_secs(10) => {
                    tracing::warn!(id, error = %e, "recording a sent message failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
