ALTER TABLE ap_event_cursors DROP COLUMN last_txid;
DROP INDEX ap_activities_bus_idx;
ALTER TABLE ap_activities DROP COLUMN txid;
