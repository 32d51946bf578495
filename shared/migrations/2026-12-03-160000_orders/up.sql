-- Checkout (cart owns all of this): cart lines name a sellable (a market variant, later an
-- events ticket type) instead of a product; carts carry a version (the checkout's idempotency
-- key) and, while frozen in checkout, the order they became; orders snapshot their lines'
-- titles and unit prices, keep a history of every state change, and their refunds.

-- Lines: (kind, item_id) names what is sold; the seller owns title, price and stock. The
-- price the buyer saw when adding is kept only to flag a change before checkout.
ALTER TABLE cart_items
    ADD COLUMN kind             TEXT NOT NULL DEFAULT 'variant' CHECK (kind IN ('variant', 'ticket')),
    ADD COLUMN item_id          BIGINT,
    ADD COLUMN seen_price_cents BIGINT,
    ADD COLUMN seen_currency    TEXT;
-- An existing line becomes its product's first variant.
UPDATE cart_items ci SET item_id = (
    SELECT v.id FROM product_variants v WHERE v.product_id = ci.product_id ORDER BY v.position, v.id LIMIT 1);
DELETE FROM cart_items WHERE item_id IS NULL;
ALTER TABLE cart_items DROP CONSTRAINT cart_items_pkey;
DROP INDEX IF EXISTS cart_items_product_idx;
ALTER TABLE cart_items DROP COLUMN product_id;
ALTER TABLE cart_items ALTER COLUMN item_id SET NOT NULL;
ALTER TABLE cart_items ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE cart_items ADD PRIMARY KEY (cart_id, kind, item_id);

CREATE TABLE orders (
    id                   BIGSERIAL PRIMARY KEY,
    -- Ours and SumUp's `checkout_reference`.
    reference            TEXT NOT NULL UNIQUE CHECK (reference ~ '^RA-[A-Z0-9]{12}$'),
    -- One order per cart version: a double click, a retried POST or a second tab find it.
    idempotency_key      TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    cart_id              BIGINT REFERENCES carts (id) ON DELETE SET NULL,
    user_id              BIGINT REFERENCES users (id) ON DELETE SET NULL,
    email                TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    contact_name         TEXT NOT NULL DEFAULT '' CHECK (length(contact_name) <= 200),
    fulfilment           TEXT NOT NULL DEFAULT 'collection' CHECK (fulfilment IN ('collection', 'delivery')),
    address              TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 1000),
    state                TEXT NOT NULL DEFAULT 'ArrangingPayment' CHECK (state IN (
        'ArrangingPayment', 'PaymentAuthorized', 'PaymentSettled', 'Fulfilled', 'Cancelled', 'Refunded')),
    currency             TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_cents          BIGINT NOT NULL CHECK (total_cents > 0),
    refunded_cents       BIGINT NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= total_cents),
    -- The `Inventory` reservation holding the lines' stock.
    reservation_key      TEXT NOT NULL,
    -- Unpaid by then: cancelled, stock released, the SumUp checkout deactivated.
    expires_at           TIMESTAMPTZ NOT NULL,
    sumup_checkout_id    TEXT UNIQUE,
    hosted_checkout_url  TEXT,
    sumup_transaction_id TEXT,
    -- Digest of the token in a guest's signed order link (the token itself is never stored).
    access_digest        TEXT NOT NULL,
    paid_at              TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);
CREATE INDEX orders_state_idx ON orders (state, id DESC);
CREATE INDEX orders_awaiting_idx ON orders (expires_at) WHERE state = 'ArrangingPayment';
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- Snapshots: what was bought at what price, whatever the seller changes later.
CREATE TABLE order_lines (
    order_id         BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('variant', 'ticket')),
    item_id          BIGINT NOT NULL,
    title            TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    PRIMARY KEY (order_id, position)
);

-- Every state change, by whom and why (buyer and admins see it).
CREATE TABLE order_history (
    id         BIGSERIAL PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL CHECK (actor IN ('buyer', 'admin', 'payment', 'system')),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_history_order_idx ON order_history (order_id, id);

CREATE TABLE order_refunds (
    id           BIGSERIAL PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    admin_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_refunds_order_idx ON order_refunds (order_id, id);

-- A cart's version changes with every change of its lines; while `checkout_order_id` is set
-- the cart is frozen (its order is arranging payment).
ALTER TABLE carts
    ADD COLUMN version           BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN checkout_order_id BIGINT REFERENCES orders (id) ON DELETE SET NULL;
