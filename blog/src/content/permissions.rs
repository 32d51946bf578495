//! Who may do what, as in Ghost: authors write and publish their own posts; editors and
//! administrators every post and page, and moderate comments; administrators alone the site's
//! navigation, settings and Ghost connection.

use shared::contracts::dtos::Role;
use shared::infrastructure::sso::CurrentUser;
use shared::models::blog::Post;

/// May open the editor and write posts.
pub fn can_write(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::Editor | Role::Author)
}

/// May edit (and publish, unpublish, delete) this post, written by `authors`.
pub fn can_edit(user: &CurrentUser, post: &Post, authors: &[i64]) -> bool {
    match user.role {
        Role::Admin | Role::Editor => true,
        Role::Author => {
            post.kind == "post" && (post.author_id == Some(user.id) || authors.contains(&user.id))
        }
        Role::Member => false,
    }
}

/// May write pages, give a post to another author, and moderate comments.
pub fn is_editor(user: &CurrentUser) -> bool {
    user.can_edit()
}

/// May change menus, settings and the Ghost connection.
pub fn is_admin(user: &CurrentUser) -> bool {
    user.is_admin()
}
