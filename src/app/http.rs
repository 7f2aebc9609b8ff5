//! The bot's own HTTP server (`CHIHOI_HTTP_LISTEN`): the Zalo webhook and the files shared by
//! link with people on platforms that take no uploads (`/files/<token>/<name>`, 24 hours).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::dialog::Clock;
use crate::storage::{Store, files};

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
        let mut conn = state.store.pool().acquire().await?;
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
