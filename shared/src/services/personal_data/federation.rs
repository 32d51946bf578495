//! Federation's rows: the member's identity and sign-ins, and their fediverse actor's posts,
//! follows, reactions and notifications. Secrets stay out: the password and second-factor
//! secret, recovery-code and token digests, session ids and the actor's private key.

use super::{Query, many, one};

pub(super) const QUERIES: &[Query] = &[
    one(
        "identity",
        "SELECT id, username, email, display_name, avatar_url, bio, role, created_at, \
         updated_at, email_verified_at, totp_enabled_at AS second_factor_enabled_at, disabled_at \
         FROM users WHERE id = $1",
    ),
    one(
        "recovery_codes",
        "SELECT count(id) FILTER (WHERE used_at IS NULL) AS unused, \
         count(id) FILTER (WHERE used_at IS NOT NULL) AS used, max(created_at) AS created_at \
         FROM recovery_codes WHERE user_id = $1",
    ),
    many(
        "password_resets",
        "SELECT created_at, expires_at, used_at FROM password_resets \
         WHERE user_id = $1 ORDER BY created_at",
    ),
    many(
        "app_consents",
        "SELECT c.client_id, k.name AS client_name, c.scope, c.granted_at \
         FROM oauth_consents c JOIN oauth_clients k ON k.client_id = c.client_id \
         WHERE c.user_id = $1 ORDER BY c.granted_at",
    ),
    // A sign-in at an app lives as a refresh token family: the member's sessions and devices.
    many(
        "sign_ins",
        "SELECT t.client_id, k.name AS client_name, t.scope, t.auth_time AS signed_in_at, \
         t.created_at, t.expires_at, t.rotated_at, t.revoked_at \
         FROM oauth_refresh_tokens t JOIN oauth_clients k ON k.client_id = t.client_id \
         WHERE t.user_id = $1 ORDER BY t.id",
    ),
    one(
        "actor",
        "SELECT $2 AS id, u.username AS preferred_username, u.display_name AS name, \
         u.bio AS summary, coalesce(s.manually_approves_followers, false) \
         AS manually_approves_followers \
         FROM users u LEFT JOIN social_settings s ON s.user_id = u.id WHERE u.id = $1",
    ),
    many(
        "posts",
        "SELECT id, kind, name, summary, content, url, in_reply_to, visibility, recipients, \
         hashtags, published, updated, deleted_at, likes, announces \
         FROM ap_objects WHERE attributed_to = $2 ORDER BY seq",
    ),
    // Other actors appear by IRI only (what the member's public collections show anyway).
    many(
        "following",
        "SELECT remote_actor AS actor, state, created_at FROM ap_following \
         WHERE local_actor = $2 ORDER BY created_at",
    ),
    many(
        "followers",
        "SELECT follower AS actor, state, created_at FROM ap_followers \
         WHERE local_actor = $2 ORDER BY created_at",
    ),
    many(
        "likes_and_boosts",
        "SELECT kind, object_id, created_at FROM ap_reactions WHERE actor = $2 ORDER BY seq",
    ),
    many(
        "activities_sent",
        "SELECT activity_id, kind, object_id, created_at FROM ap_activities \
         WHERE actor = $2 AND direction = 'outbound' ORDER BY id",
    ),
    many(
        "notifications",
        "SELECT kind, actor, object_id, created_at, read_at FROM social_notifications \
         WHERE user_id = $1 ORDER BY id",
    ),
    one(
        "notification_settings",
        "SELECT manually_approves_followers FROM social_settings WHERE user_id = $1",
    ),
    many(
        "filters",
        "SELECT kind, target_kind, target, created_at FROM social_filters \
         WHERE user_id = $1 ORDER BY created_at",
    ),
];
