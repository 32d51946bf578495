-- The webhooks we registered on the Ghost site (with an Admin API key), so that reconnecting or
-- disconnecting removes them: Ghost has no API to list them.
ALTER TABLE ghost_sites ADD COLUMN webhook_ids TEXT[] NOT NULL DEFAULT '{}';
