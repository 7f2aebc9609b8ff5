//! The bot's own HTTP server (`CHIHOI_HTTP_LISTEN`): the Zalo webhook and the files shared by
//! link with people on platforms that take no uploads (`/files/<token>/<name>`, 24 hours); and
//! the operators' endpoints, `/healthz` and `/metrics` (on `CHIHOI_METRICS_LISTEN` and beside
//! every webhook).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::dialog::Clock;
use crate::storage::{StorageError, Store, files, outbox};

/// How long `/healthz` and `/metrics` wait for the database: a probe must answer before the
/// prober gives up, and a database that takes longer is not healthy.
const DATABASE_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct FilesState {
    store: Store,
    clock: Clock,
}

/// `GET /files/<token>/<name>`: the file, while its link is valid; 404 otherwise.
pub fn files_router(store: Store, clock: Clock) -> axum::Router {
    axum::Router::new()
        .route("/files/{token}/{name}", axum::routing::get(shared_file))
        .with_state(FilesState { store, clock })
}

async fn shared_file(
    State(state): State<FilesState>,
    Path((token, _name)): Path<(String, String)>,
) -> Response {
    let now = (state.clock)().timestamp();
    let found = async {
        let mut conn = state.store.acquire().await?;
        files::get(&mut conn, &token, now).await
    }
    .await;
    match found {
        Ok(Some(file)) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                file.file_name.replace(['"', '\\', '\r', '\n'], "_")
            );
            (
                [
                    (header::CONTENT_TYPE, file.content_type),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "private, no-store".into()),
                ],
                file.bytes,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "reading a shared file failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
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
