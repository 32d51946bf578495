-- Paid tickets: ticket types per date, sold through the cart (the `Sellables` and `Inventory`
-- contracts), and the tickets events issues when the cart's `OrderPaid` arrives.

CREATE TABLE event_ticket_types (
    id            BIGSERIAL PRIMARY KEY,
    occurrence_id BIGINT NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    price_cents   BIGINT NOT NULL CHECK (price_cents BETWEEN 1 AND 100000000),
    currency      TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    quantity      INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    -- Seats neither held by a checkout nor sold: a reservation takes them with a guarded
    -- decrement, a release gives them back.
    available     INTEGER NOT NULL CHECK (available >= 0),
    sales_start   TIMESTAMPTZ,
    sales_end     TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (available <= quantity),
    CHECK (sales_end IS NULL OR sales_start IS NULL OR sales_end > sales_start)
);
CREATE INDEX event_ticket_types_occurrence_idx ON event_ticket_types (occurrence_id);
CREATE TRIGGER event_ticket_types_touch BEFORE UPDATE ON event_ticket_types
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- Seats a checkout holds, beside the variants' stock in inventory_reservation_lines: one
-- reservation (one key, one expiry) covers a cart's goods and tickets alike.
CREATE TABLE inventory_reservation_seats (
    reservation_id BIGINT NOT NULL REFERENCES inventory_reservations (id) ON DELETE CASCADE,
    ticket_type_id BIGINT NOT NULL REFERENCES event_ticket_types (id) ON DELETE CASCADE,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, ticket_type_id)
);

-- One ticket per seat of a paid order line; issuing again for the same line changes nothing.
-- The secret is what the QR code carries and the door scans.
CREATE TABLE event_tickets (
    id              BIGSERIAL PRIMARY KEY,
    ticket_type_id  BIGINT NOT NULL REFERENCES event_ticket_types (id) ON DELETE RESTRICT,
    order_reference TEXT NOT NULL,
    order_line      INTEGER NOT NULL,
    seat            INTEGER NOT NULL CHECK (seat >= 1),
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    secret          TEXT NOT NULL UNIQUE CHECK (length(secret) >= 20),
    status          TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
    checked_in_at   TIMESTAMPTZ,
    checked_in_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    voided_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_reference, order_line, seat)
);
CREATE INDEX event_tickets_user_idx ON event_tickets (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX event_tickets_type_idx ON event_tickets (ticket_type_id);
