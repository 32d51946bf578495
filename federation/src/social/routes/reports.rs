//! Reports: the form on a remote profile (`POST /social/report`) and the admins' list
//! (`/admin/reports`).

use actix_web::{HttpResponse, web};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::Viewer;
use crate::social::db::reports as report_rows;
use crate::social::domain::reports;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/social/report", web::post().to(report))
        .route("/admin/reports", web::get().to(list));
}

/// The report form: `actor`, `comment`, any number of `status`, and `back`.
#[derive(Debug, Default)]
struct ReportForm {
    actor: String,
    comment: String,
    statuses: Vec<String>,
    back: Option<String>,
}

impl ReportForm {
    /// Parsed by hand: a form repeats `status` once per post ticked.
    fn parse(body: &[u8]) -> ReportForm {
        let mut form = ReportForm::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            match k.as_ref() {
                "actor" => form.actor = v.into_owned(),
                "comment" => form.comment = v.into_owned(),
                "status" => form.statuses.push(v.into_owned()),
                "back" => form.back = Some(v.into_owned()),
                _ => {}
            }
        }
        form
    }
}

async fn report(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = ReportForm::parse(&body);
    if form.actor.trim().is_empty() {
        return Err(AppError::bad_request("Say whom you report."));
    }
    reports::report(
        &ctx,
        user.id,
        form.actor.trim(),
        &form.statuses,
        &form.comment,
    )
    .await?;
    let back = match form.back.as_deref() {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b,
        _ => "/follows",
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(see_other(format!("{back}{sep}reported=1")).finish())
}

async fn list(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if !user.is_admin() {
        return Err(AppError::Forbidden(
            "Only administrators can do that.".into(),
        ));
    }
    let rows = {
        let mut conn = ctx.conn().await?;
        report_rows::newest(&mut conn, 200).await?
    };
    let viewer = Viewer::of(&ctx, Some(user)).await?;
    let mut context = ctx.base_context();
    context.insert("reports", &rows);
    viewer.insert_into(&mut context);
    ctx.render_page(&page, "admin/reports.html", context, Vec::new())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_statuses() {
        let f = ReportForm::parse(
            b"actor=https%3A%2F%2Fm.example%2Fusers%2Fa&status=1&status=2&comment=a+b&csrf_token=x",
        );
        assert_eq!(f.actor, "https://m.example/users/a");
        assert_eq!(f.statuses, ["1", "2"]);
        assert_eq!(f.comment, "a b");
        assert_eq!(f.back, None);
    }
}
