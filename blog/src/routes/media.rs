//! Image uploads from the editor: authors only; checking, storing and serving are
//! `shared::infrastructure::media`'s (served from `/content/images/…`).

use actix_web::{HttpResponse, web};
use shared::infrastructure::media;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError};

use crate::content::permissions;

/// Largest image accepted.
pub use shared::infrastructure::media::MAX_IMAGE;

/// `POST /editor/api/images`: the body is the image itself.
pub async fn upload(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    permissions::require_writer(&user, "Only authors upload images.")?;
    let stored = media::store_image(&ctx.config().media_dir, body).await?;
    Ok(media::created(&stored))
}
