-- The first schema: enough for each app to have real content.
-- Every table has one owning app (the only writer); see shared/src/models/mod.rs.

CREATE FUNCTION ra_touch_updated_at() RETURNS trigger AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- federation: users (accounts, roles)
CREATE TABLE users (
    id           BIGSERIAL PRIMARY KEY,
    username     TEXT NOT NULL CHECK (username ~ '^[a-z0-9_]{1,30}$'),
    email        TEXT NOT NULL CHECK (position('@' in email) > 1),
    display_name TEXT NOT NULL,
    avatar_url   TEXT,
    bio          TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'editor', 'member')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- blog: posts and navigation
CREATE TABLE posts (
    id            BIGSERIAL PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    excerpt       TEXT NOT NULL DEFAULT '',
    html          TEXT NOT NULL DEFAULT '',
    feature_image TEXT,
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published')),
    author_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    published_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX posts_published_idx ON posts (published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX posts_author_idx ON posts (author_id);
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

CREATE TABLE nav_items (
    id       BIGSERIAL PRIMARY KEY,
    menu     TEXT NOT NULL DEFAULT 'primary' CHECK (menu IN ('primary', 'secondary')),
    label    TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
    url      TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX nav_items_menu_idx ON nav_items (menu, position, id);

-- market: products
CREATE TABLE products (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    currency    TEXT NOT NULL DEFAULT 'GBP' CHECK (currency ~ '^[A-Z]{3}$'),
    image_url   TEXT,
    featured    BOOLEAN NOT NULL DEFAULT false,
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX products_featured_idx ON products (featured, updated_at DESC);
CREATE TRIGGER products_touch BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- cart: carts and their items (a cart belongs to a user, or to an anonymous cart-app session)
CREATE TABLE carts (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    session_key TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (user_id IS NOT NULL OR session_key IS NOT NULL)
);
CREATE UNIQUE INDEX carts_user_key ON carts (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX carts_session_key ON carts (session_key) WHERE session_key IS NOT NULL;
CREATE TRIGGER carts_touch BEFORE UPDATE ON carts FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

CREATE TABLE cart_items (
    cart_id    BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, product_id)
);
CREATE INDEX cart_items_product_idx ON cart_items (product_id);

-- events: calendar events
CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    location    TEXT NOT NULL DEFAULT '',
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);
CREATE INDEX events_starts_at_idx ON events (starts_at);
CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- account: newsletters and subscriptions
CREATE TABLE newsletters (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE newsletter_subscriptions (
    id            BIGSERIAL PRIMARY KEY,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    email         TEXT NOT NULL CHECK (position('@' in email) > 1),
    user_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status        TEXT NOT NULL DEFAULT 'unconfirmed' CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX newsletter_subscriptions_email_key ON newsletter_subscriptions (newsletter_id, lower(email));
CREATE INDEX newsletter_subscriptions_user_idx ON newsletter_subscriptions (user_id);
CREATE TRIGGER newsletter_subscriptions_touch BEFORE UPDATE ON newsletter_subscriptions
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();
