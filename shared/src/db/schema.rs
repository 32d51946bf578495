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
    }
}

diesel::table! {
    carts (id) {
        id -> Int8,
        user_id -> Nullable<Int8>,
        session_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    cart_items (cart_id, product_id) {
        cart_id -> Int8,
        product_id -> Int8,
        quantity -> Int4,
        added_at -> Timestamptz,
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
    }
}

diesel::table! {
    newsletters (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    newsletter_subscriptions (id) {
        id -> Int8,
        newsletter_id -> Int8,
        email -> Text,
        user_id -> Nullable<Int8>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(posts -> users (author_id));
diesel::joinable!(carts -> users (user_id));
diesel::joinable!(cart_items -> carts (cart_id));
diesel::joinable!(cart_items -> products (product_id));
diesel::joinable!(newsletter_subscriptions -> newsletters (newsletter_id));
diesel::joinable!(newsletter_subscriptions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    posts,
    nav_items,
    products,
    carts,
    cart_items,
    events,
    newsletters,
    newsletter_subscriptions,
);
