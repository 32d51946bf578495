//! The social hub's tables and the columns its migration (2026-12-03-162000_social) adds to
//! `ap_objects`, declared here as well as in `shared::db::schema` so federation builds against
//! either (the shared declaration lands with the next commit of that shared file).

diesel::table! {
    ap_objects (id) {
        id -> Text,
        kind -> Text,
        attributed_to -> Text,
        local -> Bool,
        summary -> Nullable<Text>,
        content -> Text,
        url -> Nullable<Text>,
        in_reply_to -> Nullable<Text>,
        published -> Nullable<Timestamptz>,
        likes -> Int4,
        announces -> Int4,
        payload -> Jsonb,
        deleted_at -> Nullable<Timestamptz>,
        seq -> Int8,
        visibility -> Text,
    }
}

diesel::table! {
    social_notifications (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        actor -> Text,
        object_id -> Nullable<Text>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    social_filters (user_id, kind, target_kind, target) {
        user_id -> Int8,
        kind -> Text,
        target_kind -> Text,
        target -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    social_settings (user_id) {
        user_id -> Int8,
        manually_approves_followers -> Bool,
    }
}
