// The diesel view of `shared/migrations` (checked against a migrated database by the tests).

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        email -> Text,
        display_name -> Text,
        avatar_url -> Nullable<Text>,
        bio -> Text,
        role -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        password_hash -> Nullable<Text>,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamptz>,
        email_verified_at -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Int8,
        user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Int8,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_clients (client_id) {
        client_id -> Text,
        name -> Text,
        secret_hash -> Text,
        redirect_uris -> Array<Text>,
        post_logout_redirect_uris -> Array<Text>,
        backchannel_logout_uri -> Nullable<Text>,
        first_party -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_consents (user_id, client_id) {
        user_id -> Int8,
        client_id -> Text,
        scope -> Text,
        granted_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_refresh_tokens (id) {
        id -> Int8,
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Int8,
        sid -> Text,
        scope -> Text,
        auth_time -> Timestamptz,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    oauth_signing_keys (kid) {
        kid -> Text,
        private_pem -> Text,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    posts (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        excerpt -> Text,
        html -> Text,
        feature_image -> Nullable<Text>,
        status -> Text,
        author_id -> Nullable<Int8>,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        kind -> Text,
        markdown -> Nullable<Text>,
        feature_image_alt -> Nullable<Text>,
        ap_object_id -> Nullable<Text>,
    }
}

diesel::table! {
    post_meta (post_id) {
        post_id -> Int8,
        meta_title -> Nullable<Text>,
        meta_description -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
        og_title -> Nullable<Text>,
        og_description -> Nullable<Text>,
        og_image -> Nullable<Text>,
    }
}

diesel::table! {
    post_slug_history (slug) {
        slug -> Text,
        post_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tags (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        ghost_id -> Nullable<Text>,
    }
}

diesel::table! {
    ghost_sites (id) {
        id -> Int2,
        url -> Text,
        content_key -> Text,
        admin_key -> Nullable<Text>,
        webhook_secret -> Text,
        synced_until -> Nullable<Timestamptz>,
        last_sync_at -> Nullable<Timestamptz>,
        last_full_scan_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        webhook_ids -> Array<Text>,
    }
}

diesel::table! {
    ghost_posts (ghost_id) {
        ghost_id -> Text,
        post_id -> Int8,
        ghost_updated_at -> Timestamptz,
    }
}

diesel::table! {
    post_authors (post_id, user_id) {
        post_id -> Int8,
        user_id -> Int8,
        position -> Int4,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> Int8,
        tag_id -> Int8,
        position -> Int4,
    }
}

diesel::table! {
    blog_settings (id) {
        id -> Int2,
        title -> Text,
        description -> Text,
        federate_as -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    post_comments (id) {
        id -> Int8,
        post_id -> Int8,
        object_id -> Text,
        actor_id -> Text,
        author_name -> Text,
        author_url -> Nullable<Text>,
        html -> Text,
        published_at -> Timestamptz,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    nav_items (id) {
        id -> Int8,
        menu -> Text,
        label -> Text,
        url -> Text,
        position -> Int4,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        description -> Text,
        price_cents -> Int8,
        currency -> Text,
        image_url -> Nullable<Text>,
        featured -> Bool,
        stock -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        stall_id -> Nullable<Int8>,
        status -> Text,
        tags -> Array<Text>,
    }
}

diesel::table! {
    stalls (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        description -> Text,
        image_url -> Nullable<Text>,
        contact -> Text,
        location -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        calendar_slug -> Nullable<Text>,
    }
}

diesel::table! {
    stall_owners (stall_id, user_id) {
        stall_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    product_slug_history (slug) {
        slug -> Text,
        product_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    product_options (product_id, position) {
        product_id -> Int8,
        position -> Int2,
        name -> Text,
    }
}

diesel::table! {
    product_variants (id) {
        id -> Int8,
        product_id -> Int8,
        sku -> Nullable<Text>,
        option1 -> Nullable<Text>,
        option2 -> Nullable<Text>,
        option3 -> Nullable<Text>,
        price_cents -> Int8,
        currency -> Text,
        stock -> Nullable<Int4>,
        image_url -> Nullable<Text>,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    product_images (id) {
        id -> Int8,
        product_id -> Int8,
        url -> Text,
        alt -> Text,
        position -> Int4,
    }
}

diesel::table! {
    inventory_reservations (id) {
        id -> Int8,
        key -> Text,
        state -> Text,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    inventory_reservation_lines (reservation_id, variant_id) {
        reservation_id -> Int8,
        variant_id -> Int8,
        quantity -> Int4,
    }
}

diesel::table! {
    carts (id) {
        id -> Int8,
        user_id -> Nullable<Int8>,
        session_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
        checkout_order_id -> Nullable<Int8>,
    }
}

diesel::table! {
    cart_items (cart_id, kind, item_id) {
        cart_id -> Int8,
        quantity -> Int4,
        added_at -> Timestamptz,
        kind -> Text,
        item_id -> Int8,
        seen_price_cents -> Nullable<Int8>,
        seen_currency -> Nullable<Text>,
    }
}

diesel::table! {
    orders (id) {
        id -> Int8,
        reference -> Text,
        idempotency_key -> Text,
        cart_id -> Nullable<Int8>,
        user_id -> Nullable<Int8>,
        email -> Text,
        contact_name -> Text,
        fulfilment -> Text,
        address -> Text,
        state -> Text,
        currency -> Text,
        total_cents -> Int8,
        refunded_cents -> Int8,
        reservation_key -> Text,
        expires_at -> Timestamptz,
        sumup_checkout_id -> Nullable<Text>,
        hosted_checkout_url -> Nullable<Text>,
        sumup_transaction_id -> Nullable<Text>,
        access_digest -> Text,
        paid_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    order_lines (order_id, position) {
        order_id -> Int8,
        position -> Int4,
        kind -> Text,
        item_id -> Int8,
        title -> Text,
        unit_price_cents -> Int8,
        quantity -> Int4,
    }
}

diesel::table! {
    order_history (id) {
        id -> Int8,
        order_id -> Int8,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor -> Text,
        note -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_refunds (id) {
        id -> Int8,
        order_id -> Int8,
        amount_cents -> Int8,
        admin_id -> Nullable<Int8>,
        note -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        description -> Text,
        location -> Text,
        starts_at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        calendar_id -> Int8,
        time_zone -> Text,
        place_address -> Text,
        online_url -> Nullable<Text>,
        image_url -> Nullable<Text>,
        capacity -> Nullable<Int4>,
        status -> Text,
        visibility -> Text,
        tags -> Array<Text>,
        sequence -> Int4,
        repeat_freq -> Nullable<Text>,
        repeat_interval -> Int4,
        repeat_ordinal -> Nullable<Int2>,
        repeat_until -> Nullable<Timestamptz>,
        repeat_count -> Nullable<Int4>,
        series_version -> Int4,
        materialised_until -> Nullable<Timestamptz>,
        approval_required -> Bool,
    }
}

diesel::table! {
    calendars (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_organisers (calendar_id, user_id) {
        calendar_id -> Int8,
        user_id -> Int8,
    }
}

diesel::table! {
    event_slug_history (slug) {
        slug -> Text,
        event_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    event_occurrences (id) {
        id -> Int8,
        event_id -> Int8,
        original_start -> Timestamptz,
        series_version -> Int4,
        starts_at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
        title -> Nullable<Text>,
        location -> Nullable<Text>,
        status -> Nullable<Text>,
        detached -> Bool,
        removed -> Bool,
        sequence -> Int4,
        booked -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    event_bookings (id) {
        id -> Int8,
        occurrence_id -> Int8,
        user_id -> Nullable<Int8>,
        status -> Text,
        created_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        guest_name -> Nullable<Text>,
        guest_email -> Nullable<Text>,
        confirm_digest -> Nullable<Text>,
        confirm_expires_at -> Nullable<Timestamptz>,
        confirmed_at -> Nullable<Timestamptz>,
        waitlisted_at -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int8>,
        reminded_at -> Nullable<Timestamptz>,
        remote_actor -> Nullable<Text>,
        remote_join -> Nullable<Text>,
        cancel_digest -> Nullable<Text>,
        cancel_notified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ap_signature_standards (host) {
        host -> Text,
        standard -> Text,
        remembered_at -> Timestamptz,
    }
}

diesel::table! {
    event_ticket_types (id) {
        id -> Int8,
        occurrence_id -> Int8,
        name -> Text,
        price_cents -> Int8,
        currency -> Text,
        quantity -> Int4,
        available -> Int4,
        sales_start -> Nullable<Timestamptz>,
        sales_end -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    event_tickets (id) {
        id -> Int8,
        ticket_type_id -> Int8,
        order_reference -> Text,
        order_line -> Int4,
        seat -> Int4,
        user_id -> Nullable<Int8>,
        secret -> Text,
        status -> Text,
        checked_in_at -> Nullable<Timestamptz>,
        checked_in_by -> Nullable<Int8>,
        voided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inventory_reservation_seats (reservation_id, ticket_type_id) {
        reservation_id -> Int8,
        ticket_type_id -> Int8,
        quantity -> Int4,
    }
}

diesel::table! {
    event_booking_feeds (user_id) {
        user_id -> Int8,
        generation -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    newsletters (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        opt_in -> Text,
        visibility -> Text,
    }
}

diesel::table! {
    newsletter_subscribers (id) {
        id -> Int8,
        email -> Text,
        user_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        blocklisted_at -> Nullable<Timestamptz>,
        blocklist_reason -> Nullable<Text>,
    }
}

diesel::table! {
    newsletter_subscriptions (id) {
        id -> Int8,
        newsletter_id -> Int8,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        subscriber_id -> Int8,
        confirmed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    newsletter_confirmations (token_digest) {
        token_digest -> Text,
        subscription_id -> Int8,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    newsletter_campaigns (id) {
        id -> Int8,
        newsletter_id -> Int8,
        subject -> Text,
        body_markdown -> Text,
        body_html -> Text,
        status -> Text,
        archived -> Bool,
        scheduled_at -> Nullable<Timestamptz>,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        next_send_at -> Nullable<Timestamptz>,
        consecutive_errors -> Int4,
        paused_reason -> Nullable<Text>,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    newsletter_campaign_recipients (id) {
        id -> Int8,
        campaign_id -> Int8,
        subscriber_id -> Int8,
        subscription_id -> Int8,
        status -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    newsletter_bounces (id) {
        id -> Int8,
        subscriber_id -> Int8,
        campaign_id -> Nullable<Int8>,
        kind -> Text,
        source -> Text,
        meta -> Jsonb,
        bounced_at -> Timestamptz,
        received_at -> Timestamptz,
        report_digest -> Text,
    }
}

diesel::table! {
    ap_keys (actor) {
        actor -> Text,
        private_pem -> Text,
        public_pem -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ap_activities (id) {
        id -> Int8,
        activity_id -> Text,
        kind -> Text,
        actor -> Text,
        object_id -> Nullable<Text>,
        direction -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        available_at -> Timestamptz,
        created_at -> Timestamptz,
                processed_at -> Nullable<Timestamptz>,
        txid -> Int8,
    }
}

diesel::table! {
    ap_deliveries (id) {
        id -> Int8,
        activity_id -> Int8,
        inbox -> Text,
        host -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ap_followers (local_actor, follower) {
        local_actor -> Text,
        follower -> Text,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        follow_activity_id -> Text,
        state -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ap_following (local_actor, remote_actor) {
        local_actor -> Text,
        remote_actor -> Text,
        follow_activity_id -> Text,
        state -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ap_remote_actors (id) {
        id -> Text,
        kind -> Text,
        preferred_username -> Nullable<Text>,
        name -> Nullable<Text>,
        summary -> Nullable<Text>,
        url -> Nullable<Text>,
        icon -> Nullable<Text>,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        key_id -> Text,
        public_key_pem -> Text,
        fetched_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ap_objects (id) {
        id -> Text,
        kind -> Text,
        attributed_to -> Text,
        local -> Bool,
        name -> Nullable<Text>,
        summary -> Nullable<Text>,
        content -> Text,
        url -> Nullable<Text>,
        in_reply_to -> Nullable<Text>,
        published -> Nullable<Timestamptz>,
        updated -> Nullable<Timestamptz>,
        likes -> Int4,
        announces -> Int4,
        payload -> Jsonb,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        seq -> Int8,
        visibility -> Text,
        recipients -> Array<Text>,
        hashtags -> Array<Text>,
    }
}

diesel::table! {
    ap_reactions (actor, object_id, kind) {
        actor -> Text,
        object_id -> Text,
        kind -> Text,
        activity_id -> Text,
        created_at -> Timestamptz,
        seq -> Int8,
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

diesel::table! {
    social_home (owner, seq) {
        owner -> Text,
        seq -> Int8,
        object_id -> Text,
        via -> Text,
        boosted_by -> Nullable<Text>,
    }
}

diesel::table! {
    social_reports (id) {
        id -> Int8,
        reporter_id -> Nullable<Int8>,
        actor -> Text,
        statuses -> Array<Text>,
        comment -> Text,
        activity_id -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ap_blocks (kind, value) {
        kind -> Text,
        value -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ap_event_cursors (consumer) {
        consumer -> Text,
                last_id -> Int8,
        updated_at -> Timestamptz,
        last_txid -> Int8,
    }
}

diesel::table! {
    ap_event_dead_letters (id) {
        id -> Int8,
        consumer -> Text,
        activity -> Int8,
        kind -> Text,
        object_id -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        last_error -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    background_jobs (id) {
        id -> Int8,
        job_type -> Text,
        payload -> Jsonb,
        priority -> Int2,
        run_at -> Timestamptz,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    ghost_gone (ghost_id) {
        ghost_id -> Text,
        ghost_updated_at -> Timestamptz,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ghost_sync_state (id) {
        id -> Int2,
        webhook_url -> Nullable<Text>,
        last_webhook_at -> Nullable<Timestamptz>,
        last_webhook_result -> Nullable<Text>,
        progress_done -> Int4,
        progress_total -> Nullable<Int4>,
        progress_running -> Bool,
    }
}

diesel::table! {
    ghost_slug_clashes (ghost_id) {
        ghost_id -> Text,
        wanted -> Text,
    }
}

diesel::table! {
    market_imports (id) {
        id -> Int8,
        stall_id -> Int8,
        created_by -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    market_import_items (id) {
        id -> Int8,
        import_id -> Int8,
        position -> Int4,
        url -> Text,
        state -> Text,
        error -> Nullable<Text>,
        product_id -> Nullable<Int8>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(posts -> users (author_id));
diesel::joinable!(post_meta -> posts (post_id));
diesel::joinable!(ghost_posts -> posts (post_id));
diesel::joinable!(post_slug_history -> posts (post_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_authors -> posts (post_id));
diesel::joinable!(post_authors -> users (user_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(post_comments -> posts (post_id));
diesel::joinable!(carts -> users (user_id));
diesel::joinable!(cart_items -> carts (cart_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_history -> orders (order_id));
diesel::joinable!(order_refunds -> orders (order_id));
diesel::joinable!(products -> stalls (stall_id));
diesel::joinable!(stall_owners -> stalls (stall_id));
diesel::joinable!(stall_owners -> users (user_id));
diesel::joinable!(product_slug_history -> products (product_id));
diesel::joinable!(product_options -> products (product_id));
diesel::joinable!(product_variants -> products (product_id));
diesel::joinable!(product_images -> products (product_id));
diesel::joinable!(inventory_reservation_lines -> inventory_reservations (reservation_id));
diesel::joinable!(inventory_reservation_lines -> product_variants (variant_id));
diesel::joinable!(newsletter_subscriptions -> newsletters (newsletter_id));
diesel::joinable!(newsletter_subscriptions -> newsletter_subscribers (subscriber_id));
diesel::joinable!(newsletter_subscribers -> users (user_id));
diesel::joinable!(newsletter_confirmations -> newsletter_subscriptions (subscription_id));
diesel::joinable!(newsletter_campaigns -> newsletters (newsletter_id));
diesel::joinable!(newsletter_campaign_recipients -> newsletter_campaigns (campaign_id));
diesel::joinable!(newsletter_campaign_recipients -> newsletter_subscribers (subscriber_id));
diesel::joinable!(newsletter_campaign_recipients -> newsletter_subscriptions (subscription_id));
diesel::joinable!(newsletter_bounces -> newsletter_subscribers (subscriber_id));
diesel::joinable!(newsletter_bounces -> newsletter_campaigns (campaign_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(events -> calendars (calendar_id));
diesel::joinable!(calendar_organisers -> calendars (calendar_id));
diesel::joinable!(calendar_organisers -> users (user_id));
diesel::joinable!(event_slug_history -> events (event_id));
diesel::joinable!(event_occurrences -> events (event_id));
diesel::joinable!(event_bookings -> event_occurrences (occurrence_id));
diesel::joinable!(event_ticket_types -> event_occurrences (occurrence_id));
diesel::joinable!(event_tickets -> event_ticket_types (ticket_type_id));
diesel::joinable!(inventory_reservation_seats -> inventory_reservations (reservation_id));
diesel::joinable!(inventory_reservation_seats -> event_ticket_types (ticket_type_id));
diesel::joinable!(event_bookings -> users (user_id));
diesel::joinable!(event_booking_feeds -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(oauth_consents -> users (user_id));
diesel::joinable!(oauth_consents -> oauth_clients (client_id));
diesel::joinable!(oauth_refresh_tokens -> users (user_id));
diesel::joinable!(oauth_refresh_tokens -> oauth_clients (client_id));
diesel::joinable!(ap_deliveries -> ap_activities (activity_id));
diesel::joinable!(ap_event_dead_letters -> ap_activities (activity));
diesel::joinable!(social_notifications -> users (user_id));
diesel::joinable!(market_import_items -> market_imports (import_id));
diesel::joinable!(social_filters -> users (user_id));
diesel::joinable!(social_settings -> users (user_id));
diesel::joinable!(social_reports -> users (reporter_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    posts,
    post_meta,
    ghost_sites,
    ghost_posts,
    post_slug_history,
    tags,
    post_tags,
    post_authors,
    blog_settings,
    post_comments,
    nav_items,
    products,
    stalls,
    stall_owners,
    product_slug_history,
    product_options,
    product_variants,
    product_images,
    inventory_reservations,
    inventory_reservation_lines,
    carts,
    cart_items,
    orders,
    order_lines,
    order_history,
    order_refunds,
    events,
    calendars,
    calendar_organisers,
    event_slug_history,
    event_occurrences,
    ap_signature_standards,
    event_ticket_types,
    event_tickets,
    inventory_reservation_seats,
    event_bookings,
    event_booking_feeds,
    newsletters,
    newsletter_subscriptions,
    newsletter_subscribers,
    newsletter_confirmations,
    newsletter_campaigns,
    newsletter_campaign_recipients,
    newsletter_bounces,
    recovery_codes,
    password_resets,
    oauth_clients,
    oauth_consents,
    oauth_refresh_tokens,
    oauth_signing_keys,
    ap_keys,
    ap_activities,
    ap_deliveries,
    ap_followers,
    ap_following,
    ap_remote_actors,
    ap_objects,
    ap_reactions,
    ap_blocks,
    ap_event_cursors,
    ap_event_dead_letters,
    background_jobs,
    social_notifications,
    social_filters,
    social_settings,
    social_home,
    social_reports,
    ghost_gone,
    ghost_sync_state,
    ghost_slug_clashes,
    market_imports,
    market_import_items,
);
