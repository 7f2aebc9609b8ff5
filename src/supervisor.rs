//! Keeps the bot standing through its own bugs. A panic in a long-running loop (the channels'
//! polling, the courier, the scheduler) is logged and the loop started again after a growing
//! pause, instead of ending the process; under a service manager that would replay the same
//! update into a crash loop. A panic while handling one update becomes an error of that update
//! ([`caught`], used by the dialog engine), so it is retried and then set aside like any failed
//! update. `app::serve` supervises every loop with [`supervise`].

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;

/// Restarts of a loop, by `task`, after it panicked.
pub const TASK_PANICS: &str = "chihoi_task_panics_total";

/// The first pause before a panicked loop starts again; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// A panic caught: its message, for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("panicked: {0}")]
pub struct Panicked(pub String);

/// Runs `work`, turning a panic inside it into an error.
pub async fn caught<F: Future>(work: F) -> Result<F::Output, Panicked> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| Panicked(message(&*panic)))
}

/// Runs the loop `start()` makes until it ends by itself (its output is returned); a panic
/// starts a fresh one after a pause of 1 s, 2 s, 4 s … up to a minute. `None` when `shutdown`
/// came during such a pause.
pub async fn supervise<T, F, Fut>(
    task: &'static str,
    shutdown: &CancellationToken,
    mut start: F,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut pause = FIRST_PAUSE;
    loop {
        match caught(start()).await {
            Ok(done) => return Some(done),
            Err(Panicked(why)) => {
                ::metrics::counter!(TASK_PANICS, "task" => task).increment(1);
                tracing::error!(
                    task,
                    panic = %why,
                    seconds = pause.as_secs(),
                    "task panicked; starting it again"
                );
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

fn message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let r = caught(async {
            if true {
                panic!("row {} is odd", 7);
            }
            1
        })
        .await;
        assert_eq!(r, Err(Panicked("row 7 is odd".into())));
        assert_eq!(caught(async { 2 }).await, Ok(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_panics_is_started_again_with_growing_pauses() {
        let starts = AtomicUsize::new(0);
        let shutdown = CancellationToken::new();
        let began = tokio::time::Instant::now();
        let out = supervise("test", &shutdown, || {
            let n = starts.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 3 {
                    panic!("bug number {n}");
                }
                n
            }
        })
        .await;
        assert_eq!(out, Some(3));
        assert_eq!(starts.load(Ordering::SeqCst), 4);
        // Paused 1 s, 2 s and 4 s between the four starts.
        assert_eq!(began.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_during_the_pause_stops_the_restarts() {
        let shutdown = CancellationToken::new();
        let starts = AtomicUsize::new(0);
        let stop = shutdown.clone();
        let out = supervise("test", &shutdown, || {
            starts.fetch_add(1, Ordering::SeqCst);
            stop.cancel();
            async { panic!("always") }
        })
        .await;
        let out: Option<()> = out;
        assert_eq!(out, None);
        assert_eq!(starts.load(Ordering::SeqCst), 1);
    }
}
