//! Administration (admins only): third-party OAuth clients, signing-key rotation, roles, and the
//! event bus's dead letter (retry).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::activitypub::bus::dead_letter;
use shared::contracts::dtos::Role;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::models::oauth::NewClient;
use shared::{AppContext, AppError};

use crate::db::{oauth, users};
use crate::oauth::protect;
use crate::state::{FederationState, secret_hash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/jobs/{id}/retry", web::post().to(retry_job));
    cfg.route("/admin", web::get().to(index))
        .route("/admin/clients", web::post().to(create_client))
        .route("/admin/clients/{id}/delete", web::post().to(delete_client))
        .route("/admin/keys/rotate", web::post().to(rotate_keys))
        .route("/admin/users/{id}/role", web::post().to(set_role))
        .route("/admin/events/{id}/retry", web::post().to(retry_event));
}

fn admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only administrators can do that.".into(),
        ))
    }
}

async fn render(
    ctx: &AppContext,
    state: &FederationState,
    user: &CurrentUser,
    extra: tera::Context,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (clients, members, dead_letters) = {
        let mut conn = ctx.conn().await?;
        (
            oauth::clients(&mut conn).await?,
            users::list(&mut conn, 500).await?,
            dead_letter::list(&mut conn, 200).await?,
        )
    };
    let jwks = state.jwks(ctx).await?;
    let mut context = ctx.base_context();
    context.extend(extra);
    context.insert("csrf_token", &user.csrf_token);
    // The job queue's dead letter (every app's jobs).
    let dead_jobs = {
        let mut conn = ctx.conn().await?;
        shared::jobs::store::dead(&mut conn, 200).await?
    };
    context.insert("dead_jobs", &dead_jobs);
    context.insert(
        "clients",
        &clients
            .iter()
            .map(|c| {
                serde_json::json!({
                    "client_id": c.client_id, "name": c.name, "first_party": c.first_party,
                    "redirect_uris": c.redirect_uris, "post_logout_redirect_uris": c.post_logout_redirect_uris,
                    "backchannel_logout_uri": c.backchannel_logout_uri,
                })
            })
            .collect::<Vec<_>>(),
    );
    context.insert(
        "keys",
        &jwks.keys.iter().map(|k| k.kid.clone()).collect::<Vec<_>>(),
    );
    context.insert(
        "members",
        &members
            .iter()
            .map(|m| serde_json::json!({ "id": m.id, "username": m.username, "role": m.role }))
            .collect::<Vec<_>>(),
    );
    context.insert("dead_letters", &dead_letters);
    // Least powerful first, as the role picker lists them.
    context.insert(
        "roles",
        &Role::ALL
            .iter()
            .rev()
            .map(|r| r.as_str())
            .collect::<Vec<_>>(),
    );
    let html = ctx.templates().render("admin/index.html", &context)?;
    let mut res = HttpResponse::build(status);
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

async fn index(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    render(&ctx, &state, &user, tera::Context::new(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
struct ClientForm {
    client_id: String,
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: Option<String>,
    backchannel_logout_uri: Option<String>,
}

/// An absolute https URL without a fragment; http only for loopback (RFC 8252 native apps).
pub fn acceptable_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let loopback = url.host_str().is_some_and(|h| {
        shared::infrastructure::http_client::is_localhost(h) || h == "127.0.0.1" || h == "[::1]"
    });
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

fn uri_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn create_client(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
    form: web::Form<ClientForm>,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    let client_id = form.client_id.trim().to_lowercase();
    let redirect_uris = uri_lines(&form.redirect_uris);
    let post_logout = uri_lines(form.post_logout_redirect_uris.as_deref().unwrap_or(""));
    let backchannel = form
        .backchannel_logout_uri
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let mut errors = Vec::new();
    if !(2..=64).contains(&client_id.len())
        || !client_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        errors.push("The client id is 2 to 64 lowercase letters, digits, - or _.".to_owned());
    }
    if shared::AppName::ALL.iter().any(|a| a.as_str() == client_id) {
        errors.push("That client id belongs to a Rose Ash app.".to_owned());
    }
    if form.name.trim().is_empty() {
        errors.push("Give the application a name.".to_owned());
    }
    if redirect_uris.is_empty() {
        errors.push("At least one redirect URI is needed.".to_owned());
    }
    for uri in redirect_uris
        .iter()
        .chain(&post_logout)
        .chain(backchannel.iter())
    {
        if !acceptable_uri(uri) {
            errors.push(format!(
                "{uri} must be an https URL (http only for localhost) without a fragment."
            ));
        }
    }
    if !errors.is_empty() {
        let mut extra = tera::Context::new();
        extra.insert("errors", &errors);
        return render(&ctx, &state, &user, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let secret = shared::crypto::random_token()?;
    {
        let mut conn = ctx.conn().await?;
        oauth::insert_client(
            &mut conn,
            &NewClient {
                client_id: client_id.clone(),
                name: form.name.trim().to_owned(),
                secret_hash: secret_hash(&secret),
                redirect_uris,
                post_logout_redirect_uris: post_logout,
                backchannel_logout_uri: backchannel,
                first_party: false,
            },
        )
        .await?;
    }
    state.forget_clients();
    let mut extra = tera::Context::new();
    extra.insert(
        "new_client",
        &serde_json::json!({ "client_id": client_id, "secret": secret }),
    );
    render(&ctx, &state, &user, extra, StatusCode::CREATED).await
}

async fn delete_client(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    let deleted = {
        let mut conn = ctx.conn().await?;
        oauth::delete_client(&mut conn, &id).await?
    };
    if !deleted {
        return Err(AppError::not_found("No such third-party client."));
    }
    state.forget_clients();
    Ok(see_other("/admin").finish())
}

async fn rotate_keys(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    state.rotate_keys(&ctx).await?;
    Ok(see_other("/admin").finish())
}

/// Re-queues a dead-lettered bus event (and those held behind it); its consumer runs it again.
async fn retry_event(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    let requeued = {
        let mut conn = ctx.conn().await?;
        dead_letter::requeue(&mut conn, *id).await?
    };
    if requeued == 0 {
        return Err(AppError::not_found(
            "No such event in the dead letter (it may have been retried already).",
        ));
    }
    Ok(see_other("/admin").finish())
}

/// Gives a dead job (`shared::jobs`) a fresh set of tries, due now.
async fn retry_job(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    let retried = {
        let mut conn = ctx.conn().await?;
        shared::jobs::store::retry_dead(&mut conn, *id).await?
    };
    if !retried {
        return Err(AppError::not_found(
            "No such dead job (it may have been retried already).",
        ));
    }
    Ok(see_other("/admin").finish())
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: String,
}

async fn set_role(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    let Some(role) = Role::named(&form.role) else {
        return Err(AppError::bad_request(format!(
            "A role is {}.",
            role_names()
        )));
    };
    if *id == user.id && !role.is_admin() {
        return Err(AppError::bad_request(
            "You cannot remove your own administrator role.",
        ));
    }
    let changed = {
        let mut conn = ctx.conn().await?;
        users::set_role(&mut conn, *id, role.as_str()).await?
    };
    if changed == 0 {
        return Err(AppError::not_found("No such member."));
    }
    Ok(see_other("/admin").finish())
}

/// "admin, editor, author or member": the roles there are, for a message.
fn role_names() -> String {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{acceptable_uri, role_names};

    #[test]
    fn the_role_message_names_every_role() {
        assert_eq!(role_names(), "admin, editor, author or member");
    }

    #[test]
    fn client_uris() {
        assert!(acceptable_uri("https://app.example/cb"));
        assert!(acceptable_uri("http://127.0.0.1:9000/cb"));
        assert!(acceptable_uri("http://app.localhost:9000/cb"));
        assert!(!acceptable_uri("http://app.example/cb"));
        assert!(!acceptable_uri("https://app.example/cb#x"));
        assert!(!acceptable_uri("not a url"));
    }
}
