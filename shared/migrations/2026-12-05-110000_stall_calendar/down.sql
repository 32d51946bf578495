DROP INDEX stalls_calendar_slug_idx;
ALTER TABLE stalls DROP COLUMN calendar_slug;
