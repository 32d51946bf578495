DROP TABLE event_booking_feeds;
DROP TABLE event_bookings;
DROP TABLE event_occurrences;
DROP TABLE event_slug_history;
DROP INDEX events_tags_idx;
DROP INDEX events_calendar_idx;
ALTER TABLE events DROP CONSTRAINT events_monthly_has_ordinal,
    DROP COLUMN materialised_until, DROP COLUMN series_version, DROP COLUMN repeat_count,
    DROP COLUMN repeat_until, DROP COLUMN repeat_ordinal, DROP COLUMN repeat_interval,
    DROP COLUMN repeat_freq, DROP COLUMN sequence, DROP COLUMN tags, DROP COLUMN visibility,
    DROP COLUMN status, DROP COLUMN capacity, DROP COLUMN image_url, DROP COLUMN online_url,
    DROP COLUMN place_address, DROP COLUMN time_zone, DROP COLUMN calendar_id;
DROP TABLE calendar_organisers;
DROP TABLE calendars;
