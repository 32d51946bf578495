//! Who may do what, as in Ghost: authors write and publish their own posts; editors and
//! administrators every post and page, and moderate comments; administrators alone the site's
//! navigation, settings and Ghost connection.

use shared::AppError;
use shared::infrastructure::sso::CurrentUser;
use shared::models::blog::Post;

/// May open the editor and write posts.
pub fn can_write(user: &CurrentUser) -> bool {
    user.is_writer()
}

/// May edit (and publish, unpublish, delete) this post, written by `authors`.
pub fn can_edit(user: &CurrentUser, post: &Post, authors: &[i64]) -> bool {
    user.is_editor()
        || (user.is_writer()
            && post.kind == "post"
            && (post.author_id == Some(user.id) || authors.contains(&user.id)))
}

/// May write pages, give a post to another author, and moderate comments.
pub fn is_editor(user: &CurrentUser) -> bool {
    user.is_editor()
}

/// May change menus, settings and the Ghost connection.
pub fn is_admin(user: &CurrentUser) -> bool {
    user.is_admin()
}

/// `Ok` when `allowed`, else a 403 saying `why`.
fn require(allowed: bool, why: &str) -> Result<(), AppError> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(why.to_owned()))
    }
}

/// 403 unless the user writes (authors, editors, administrators).
pub fn require_writer(user: &CurrentUser, why: &str) -> Result<(), AppError> {
    require(can_write(user), why)
}

/// 403 unless the user is an editor or administrator.
pub fn require_editor(user: &CurrentUser, why: &str) -> Result<(), AppError> {
    require(is_editor(user), why)
}

/// 403 unless the user is an administrator.
pub fn require_admin(user: &CurrentUser, why: &str) -> Result<(), AppError> {
    require(is_admin(user), why)
}
