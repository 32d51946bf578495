-- The market: stalls (a member's or a group's shop) and their owners; products with a status,
-- tags, slug history, up to three options, variants (price in minor units + ISO currency, stock
-- or untracked), images with alt text; and stock reservations behind the `Inventory` contract.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE stalls (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Markdown as the owner wrote it; rendered and sanitised on display.
    description TEXT NOT NULL DEFAULT '',
    image_url   TEXT,
    contact     TEXT NOT NULL DEFAULT '',
    location    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER stalls_touch BEFORE UPDATE ON stalls FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

CREATE TABLE stall_owners (
    stall_id   BIGINT NOT NULL REFERENCES stalls (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stall_id, user_id)
);
CREATE INDEX stall_owners_user_idx ON stall_owners (user_id);

-- Products existing before stalls belong to none (the cooperative's own) and stay listed.
-- price_cents, currency and stock now mirror the variants (kept by the trigger below), so the
-- cart's reads through `Catalog` answer as before.
ALTER TABLE products
    ADD COLUMN stall_id BIGINT REFERENCES stalls (id) ON DELETE SET NULL,
    ADD COLUMN status   TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived')),
    ADD COLUMN tags     TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE products ALTER COLUMN status SET DEFAULT 'draft';
CREATE INDEX products_stall_idx ON products (stall_id, status);
CREATE INDEX products_tags_idx ON products USING GIN (tags);
-- array_to_string is only STABLE; tags text never depends on settings, so an index may use it.
CREATE FUNCTION market_tags_text(tags TEXT[]) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string(tags, ' ') $$;
-- Full-text search, weighted title > tags > description (the query repeats this expression).
CREATE INDEX products_search_idx ON products USING GIN ((
    setweight(to_tsvector('english'::regconfig, title), 'A') ||
    setweight(to_tsvector('english'::regconfig, market_tags_text(tags)), 'B') ||
    setweight(to_tsvector('english'::regconfig, description), 'C')
));
CREATE INDEX products_title_trgm_idx ON products USING GIN (title gin_trgm_ops);

CREATE TABLE product_slug_history (
    slug       TEXT PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX product_slug_history_product_idx ON product_slug_history (product_id);

CREATE TABLE product_options (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   SMALLINT NOT NULL CHECK (position BETWEEN 1 AND 3),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    PRIMARY KEY (product_id, position)
);

CREATE TABLE product_variants (
    id          BIGSERIAL PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku         TEXT CHECK (length(sku) BETWEEN 1 AND 64),
    option1     TEXT,
    option2     TEXT,
    option3     TEXT,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    currency    TEXT NOT NULL DEFAULT 'GBP' CHECK (currency ~ '^[A-Z]{3}$'),
    -- NULL: stock is not tracked (made to order); otherwise never below zero.
    stock       INTEGER CHECK (stock >= 0),
    image_url   TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (product_id, option1, option2, option3)
);
CREATE UNIQUE INDEX product_variants_sku_idx ON product_variants (product_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX product_variants_product_idx ON product_variants (product_id, position, id);
CREATE TRIGGER product_variants_touch BEFORE UPDATE ON product_variants FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

CREATE TABLE product_images (
    id         BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position, id);

-- Every existing product becomes one default variant with its price and stock.
INSERT INTO product_variants (product_id, price_cents, currency, stock, image_url)
SELECT id, price_cents, currency, stock, image_url FROM products;

-- products.price_cents/currency: the first variant's; products.stock: the sum of tracked stock
-- (an untracked variant counts as plenty). Recomputed whenever a variant changes.
CREATE FUNCTION market_mirror_variants() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid BIGINT := COALESCE(NEW.product_id, OLD.product_id);
BEGIN
    UPDATE products p SET
        price_cents = COALESCE(d.price_cents, p.price_cents),
        currency = COALESCE(d.currency, p.currency),
        stock = s.total
    FROM (SELECT LEAST(COALESCE(SUM(CASE WHEN stock IS NULL THEN 1000000 ELSE stock END), 0),
                       2147483647)::int AS total
          FROM product_variants WHERE product_id = pid) s
    LEFT JOIN LATERAL (SELECT price_cents, currency FROM product_variants
                       WHERE product_id = pid ORDER BY position, id LIMIT 1) d ON true
    WHERE p.id = pid;
    IF TG_OP = 'UPDATE' AND OLD.product_id <> NEW.product_id THEN
        UPDATE products SET stock = 0 WHERE id = OLD.product_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER product_variants_mirror AFTER INSERT OR UPDATE OR DELETE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION market_mirror_variants();

-- Stock held for a checkout (the `Inventory` contract): one reservation per idempotency key,
-- held until committed (sold), released, or expired (a job releases it).
CREATE TABLE inventory_reservations (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
    state       TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'committed', 'released')),
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inventory_reservations_expiry_idx ON inventory_reservations (expires_at) WHERE state = 'held';
CREATE TRIGGER inventory_reservations_touch BEFORE UPDATE ON inventory_reservations FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

CREATE TABLE inventory_reservation_lines (
    reservation_id BIGINT NOT NULL REFERENCES inventory_reservations (id) ON DELETE CASCADE,
    variant_id     BIGINT NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, variant_id)
);
