//! The bot's HTTP servers. The public one (`CHIHOI_HTTP_LISTEN`) serves the Zalo webhook and the
//! files shared by link with people on platforms that take no uploads
//! (`/files/<token>/<name>`, 24 hours), a bounded number at a time (the webhook is never
//! refused: a refused event might be lost). The operators' endpoints,
//! `/healthz` and `/metrics`, are served only on `CHIHOI_METRICS_LISTEN` (loopback by default),
//! never beside a public route.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

use crate::config::HttpLimits;
use crate::dialog::Clock;
use crate::storage::{StorageError, Store, files, outbox};

/// How long `/healthz` and `/metrics` wait for the database: a probe must answer before the
/// prober gives up, and a database that takes longer is not healthy.
const DATABASE_WAIT: Duration = Duration::from_secs(5);

/// How long a download waits for one of the database connections downloads may use: a
/// download that cannot read within it is cut off rather than kept open.
const READ_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct FilesState {
    store: Store,
    clock: Clock,
    /// Downloads in progress, each holding a permit until its last byte is written (or it is
    /// dropped): one past the limit is refused with 503 at once.
    downloads: Arc<Semaphore>,
    /// The database connections all downloads together use at a time: the bot's replies keep
    /// the rest of the pool, however many files are asked for.
    readers: Arc<Semaphore>,
}

/// `GET /files/<token>/<name>`: the file, while its link is valid and its person still holds
/// the unit and role she had when it was made; 404 otherwise; 503 when `limits.downloads` are
/// under way already. The file is read from the database a part at a time as it is written
/// out, on at most `limits.db_readers` connections for all downloads together.
pub fn files_router(store: Store, clock: Clock, limits: HttpLimits) -> axum::Router {
    axum::Router::new()
        .route("/files/{token}/{name}", axum::routing::get(shared_file))
        .with_state(FilesState {
            store,
            clock,
            downloads: Arc::new(Semaphore::new(limits.downloads)),
            readers: Arc::new(Semaphore::new(limits.db_readers)),
        })
}

fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        "busy, try again shortly\n",
    )
        .into_response()
}

/// Runs `read` on a connection of the store, holding one of the downloads' reader permits.
async fn read_with<T>(
    state: &FilesState,
    read: impl AsyncFnOnce(&mut crate::storage::Conn) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let _reader = tokio::time::timeout(READ_WAIT, state.readers.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or(StorageError::Unsupported(
            "no database reader free for a download",
        ))?;
    let mut conn = state.store.acquire().await?;
    read(&mut conn).await
}

async fn shared_file(
    State(state): State<FilesState>,
    Path((token, _name)): Path<(String, String)>,
) -> Response {
    let Ok(download) = state.downloads.clone().try_acquire_owned() else {
        return busy();
    };
    let now = (state.clock)().timestamp();
    let found = read_with(&state, async |conn| files::get(conn, &token, now).await).await;
    let file = match found {
        Ok(Some(file)) => file,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "reading a shared file failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.file_name.replace(['"', '\\', '\r', '\n'], "_")
    );
    let parts = file.parts;
    let body = Body::from_stream(futures::stream::unfold(
        (state, token, 0i64, download),
        move |(state, token, part, download)| async move {
            if part >= parts {
                return None;
            }
            let read = read_with(&state, async |conn| files::part(conn, &token, part).await).await;
            let chunk = match read {
                Ok(Some(bytes)) => Ok(Bytes::from(bytes)),
                // Deleted meanwhile (expired): the download is cut off, not completed wrongly.
                Ok(None) => Err(std::io::Error::other("the shared file is gone")),
                Err(e) => {
                    tracing::warn!(error = %e, "reading a part of a shared file failed");
                    Err(std::io::Error::other(e.to_string()))
                }
            };
            // After a failed part the stream ends.
            let next = if chunk.is_ok() { part + 1 } else { parts };
            Some((chunk, (state, token, next, download)))
        },
    ));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // A browser must take the file for what we say it is, never guess (a CSV sniffed as HTML).
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[derive(Clone)]
struct OpsState {
    store: Store,
    clock: Clock,
    metrics: &'static PrometheusHandle,
}

/// `GET /healthz`: 200 `ok` when the database answers `SELECT 1`, 503 otherwise.
/// `GET /metrics`: the Prometheus text format ([`crate::metrics`]). Installs the metrics
/// recorder if nobody has yet.
pub fn ops_router(store: Store, clock: Clock) -> axum::Router {
    let metrics = crate::metrics::install();
    axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/metrics", axum::routing::get(metrics_page))
        .with_state(OpsState {
            store,
            clock,
            metrics,
        })
}

async fn healthz(State(state): State<OpsState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(DATABASE_WAIT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::channel::error_chain(&e), "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

async fn metrics_page(State(state): State<OpsState>) -> Response {
    let mut body = state.metrics.render();
    let backlog = tokio::time::timeout(DATABASE_WAIT, async {
        let mut conn = state.store.acquire().await?;
        outbox::backlog(&mut conn).await
    })
    .await;
    match backlog {
        Ok(Ok(backlog)) => {
            let now = (state.clock)().timestamp();
            body.push_str(&crate::metrics::render_outbox(&backlog, now));
        }
        // The process's own counters are still worth a scrape; the outbox gauges are left out
        // rather than shown stale.
        Ok(Err(e)) => log_backlog_failure(&e),
        Err(_) => tracing::warn!("metrics: the outbox query did not answer in time"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn log_backlog_failure(e: &StorageError) {
    tracing::warn!(error = %crate::channel::error_chain(e), "metrics: reading the outbox failed");
}
