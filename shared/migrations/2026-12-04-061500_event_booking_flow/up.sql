-- Bookings grow up (Mobilizon/pretix style): a waitlist promoted in order when a place is
-- given back, organiser approval for restricted events, guests (name + address, no account)
-- whose booking counts only once they confirm through a mailed link, and reminder mails.
--
-- A booking's status: `unconfirmed` (a guest who has not clicked yet: holds no place),
-- `pending` (waits for an organiser: holds no place), `waitlisted` (queued by waitlisted_at),
-- `booked` (holds one of event_occurrences.booked), `rejected`, `cancelled`.

ALTER TABLE events ADD COLUMN approval_required BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE event_bookings
    ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN guest_name         TEXT CHECK (guest_name IS NULL OR length(guest_name) BETWEEN 1 AND 200),
    ADD COLUMN guest_email        TEXT CHECK (guest_email IS NULL OR length(guest_email) BETWEEN 3 AND 254),
    -- SHA-256 of the guest's confirmation token (the token itself is only in the mail). The
    -- link works once: only while the booking is still `unconfirmed`.
    ADD COLUMN confirm_digest     TEXT UNIQUE,
    ADD COLUMN confirm_expires_at TIMESTAMPTZ,
    ADD COLUMN confirmed_at       TIMESTAMPTZ,
    -- The waitlist's order: first come, first served.
    ADD COLUMN waitlisted_at      TIMESTAMPTZ,
    -- An organiser's approval or rejection.
    ADD COLUMN decided_at         TIMESTAMPTZ,
    ADD COLUMN decided_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The reminder went out (at most one per booking).
    ADD COLUMN reminded_at        TIMESTAMPTZ,
    ADD CONSTRAINT event_bookings_member_or_guest
        CHECK ((user_id IS NULL) = (guest_email IS NOT NULL) AND (guest_email IS NULL) = (guest_name IS NULL));

ALTER TABLE event_bookings DROP CONSTRAINT event_bookings_status_check;
ALTER TABLE event_bookings ADD CONSTRAINT event_bookings_status_check
    CHECK (status IN ('unconfirmed', 'pending', 'waitlisted', 'booked', 'rejected', 'cancelled'));

-- One live booking (pending, waitlisted or booked) per member, and per guest address, and date.
DROP INDEX event_bookings_live_idx;
CREATE UNIQUE INDEX event_bookings_live_idx ON event_bookings (occurrence_id, user_id)
    WHERE status IN ('pending', 'waitlisted', 'booked');
CREATE UNIQUE INDEX event_bookings_guest_live_idx ON event_bookings (occurrence_id, lower(guest_email))
    WHERE status IN ('pending', 'waitlisted', 'booked');
CREATE INDEX event_bookings_queue_idx ON event_bookings (occurrence_id, waitlisted_at, id)
    WHERE status = 'waitlisted';
