//! Every app's header shows a member's unread notifications (the account's `user-menu`
//! fragment, cached per viewer in each app). A change to a member's notifications names them on
//! the `social_notifications` channel when it commits (a trigger, so no path that adds, reads or
//! removes one can forget); this task then drops that member's cached menus, so their next page
//! anywhere shows the new count. Were it down, a menu would still refresh within its minute.

use shared::infrastructure::background;
use shared::infrastructure::fragment_catalog;
use shared::{AppContext, AppName, Viewer};

/// The channel the trigger notifies, with the member's id as payload.
const CHANNEL: &str = "social_notifications";

/// Background task: follows the channel until shutdown.
pub async fn follow_unread(ctx: AppContext) {
    let mut changed = background::listen_with(
        ctx.config().database.url.expose().to_owned(),
        &[CHANNEL],
        |n| n.payload().parse::<i64>().ok(),
    );
    let mut shutdown = ctx.shutdown_signal();
    loop {
        tokio::select! {
            note = changed.recv() => match note {
                Some(Some(user_id)) => drop_menus(&ctx, user_id).await,
                Some(None) => {}
                None => return,
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Drops the member's cached `user-menu` in every app's header (one round trip).
async fn drop_menus(ctx: &AppContext, user_id: i64) {
    let menus: Vec<_> = AppName::ALL
        .iter()
        .map(|&app| fragment_catalog::user_menu(app, Viewer::User(user_id)))
        .collect();
    if let Err(e) = ctx.fragments().purge_all(&menus).await {
        tracing::warn!(error = %e, user_id, "could not refresh a member's header");
    }
}
