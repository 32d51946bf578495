-- A stall's opening / market days: the events calendar (by slug) whose dates its page shows.
-- A slug, not a foreign key: calendars belong to the events app, which alone writes them.
ALTER TABLE stalls ADD COLUMN calendar_slug TEXT
    CHECK (calendar_slug IS NULL OR char_length(calendar_slug) BETWEEN 1 AND 200);
CREATE INDEX stalls_calendar_slug_idx ON stalls (calendar_slug) WHERE calendar_slug IS NOT NULL;
