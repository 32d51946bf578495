-- events: calendars with organisers, events in their own time zone (stored UTC + IANA zone),
-- recurring series materialised as occurrences, bookings, and private bookings feeds.

CREATE TABLE calendars (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER calendars_touch BEFORE UPDATE ON calendars FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();
-- Events that existed before calendars live in this one.
INSERT INTO calendars (slug, name, description)
VALUES ('community', 'Community', 'Gatherings of the cooperative.');

-- Members an administrator names; they create and change the calendar's events.
CREATE TABLE calendar_organisers (
    calendar_id BIGINT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (calendar_id, user_id)
);
CREATE INDEX calendar_organisers_user_idx ON calendar_organisers (user_id);

-- An event is one entry or a series. starts_at/ends_at are the series' first instance
-- (its DTSTART) in UTC; the wall-clock time is starts_at seen in time_zone.
ALTER TABLE events
    ADD COLUMN calendar_id     BIGINT REFERENCES calendars (id) ON DELETE RESTRICT,
    ADD COLUMN time_zone       TEXT NOT NULL DEFAULT 'Europe/London'
        CHECK (length(time_zone) BETWEEN 1 AND 64),
    ADD COLUMN place_address   TEXT NOT NULL DEFAULT '',
    ADD COLUMN online_url      TEXT CHECK (online_url IS NULL OR online_url ~ '^https?://'),
    ADD COLUMN image_url       TEXT CHECK (image_url IS NULL OR image_url ~ '^(https?://|/)'),
    ADD COLUMN capacity        INTEGER CHECK (capacity IS NULL OR capacity >= 1),
    ADD COLUMN status          TEXT NOT NULL DEFAULT 'confirmed'
        CHECK (status IN ('tentative', 'confirmed', 'cancelled')),
    ADD COLUMN visibility      TEXT NOT NULL DEFAULT 'public'
        CHECK (visibility IN ('public', 'unlisted')),
    ADD COLUMN tags            TEXT[] NOT NULL DEFAULT '{}',
    -- iCal SEQUENCE: bumped by every change attendees should notice.
    ADD COLUMN sequence        INTEGER NOT NULL DEFAULT 0,
    -- Recurrence (RFC 5545 subset): weekly on the start's weekday, or monthly on its n-th
    -- (or last, -1) weekday; every `repeat_interval` weeks/months; until or count.
    ADD COLUMN repeat_freq     TEXT CHECK (repeat_freq IN ('weekly', 'monthly')),
    ADD COLUMN repeat_interval INTEGER NOT NULL DEFAULT 1 CHECK (repeat_interval BETWEEN 1 AND 12),
    ADD COLUMN repeat_ordinal  SMALLINT CHECK (repeat_ordinal IN (-1, 1, 2, 3, 4)),
    ADD COLUMN repeat_until    TIMESTAMPTZ,
    ADD COLUMN repeat_count    INTEGER CHECK (repeat_count IS NULL OR repeat_count BETWEEN 1 AND 1000),
    -- Editing a series from a date on starts a new version; older occurrences keep theirs.
    ADD COLUMN series_version  INTEGER NOT NULL DEFAULT 1,
    -- How far ahead occurrences exist (the materialising job moves it on).
    ADD COLUMN materialised_until TIMESTAMPTZ,
    ADD CONSTRAINT events_monthly_has_ordinal
        CHECK ((repeat_freq = 'monthly') = (repeat_ordinal IS NOT NULL));
UPDATE events SET calendar_id = (SELECT id FROM calendars WHERE slug = 'community');
ALTER TABLE events ALTER COLUMN calendar_id SET NOT NULL;
CREATE INDEX events_calendar_idx ON events (calendar_id);
CREATE INDEX events_tags_idx ON events USING GIN (tags);

-- An old slug answers with a 301 to the event's current one.
CREATE TABLE event_slug_history (
    slug       TEXT PRIMARY KEY,
    event_id   BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every event has at least one occurrence (a single event exactly one). original_start is
-- the rule's instance this row stands for (iCal RECURRENCE-ID); starts_at is when it happens.
CREATE TABLE event_occurrences (
    id             BIGSERIAL PRIMARY KEY,
    event_id       BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    original_start TIMESTAMPTZ NOT NULL,
    series_version INTEGER NOT NULL DEFAULT 1,
    starts_at      TIMESTAMPTZ NOT NULL,
    ends_at        TIMESTAMPTZ,
    -- NULL: the event's; set for an occurrence edited on its own, and frozen into past ones
    -- when the series is edited (so an edit changes future occurrences only).
    title          TEXT CHECK (title IS NULL OR length(title) BETWEEN 1 AND 200),
    location       TEXT,
    status         TEXT CHECK (status IS NULL OR status IN ('tentative', 'confirmed', 'cancelled')),
    -- Edited on its own: edits of the series leave its time alone.
    detached       BOOLEAN NOT NULL DEFAULT false,
    -- Taken out of the series (iCal EXDATE); kept so the materialiser does not bring it back.
    removed        BOOLEAN NOT NULL DEFAULT false,
    sequence       INTEGER NOT NULL DEFAULT 0,
    -- Bookings held; the booking's own transaction raises it only while below capacity.
    booked         INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, original_start),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);
CREATE INDEX event_occurrences_starts_idx ON event_occurrences (starts_at);
CREATE INDEX event_occurrences_event_idx ON event_occurrences (event_id, starts_at);
CREATE TRIGGER event_occurrences_touch BEFORE UPDATE ON event_occurrences
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

INSERT INTO event_occurrences (event_id, original_start, starts_at, ends_at)
SELECT id, starts_at, starts_at, ends_at FROM events;
UPDATE events SET materialised_until = starts_at;

-- A member's place at one occurrence. One live booking per member and occurrence.
CREATE TABLE event_bookings (
    id            BIGSERIAL PRIMARY KEY,
    occurrence_id BIGINT NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX event_bookings_live_idx ON event_bookings (occurrence_id, user_id)
    WHERE status = 'booked';
CREATE INDEX event_bookings_user_idx ON event_bookings (user_id, status);

-- The private feed of a member's bookings: its address is an HMAC over the user id and this
-- generation, so resetting the address (generation + 1) revokes the old one.
CREATE TABLE event_booking_feeds (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    generation INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
