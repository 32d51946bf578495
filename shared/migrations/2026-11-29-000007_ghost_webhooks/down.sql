ALTER TABLE ghost_sites DROP COLUMN webhook_ids;
