DROP TRIGGER ap_activities_notify ON ap_activities;
CREATE TRIGGER ap_activities_notify AFTER INSERT ON ap_activities FOR EACH ROW EXECUTE FUNCTION ap_activities_notify();
ALTER TABLE ap_event_cursors DROP COLUMN last_txid;
DROP INDEX ap_activities_bus_idx;
ALTER TABLE ap_activities DROP COLUMN txid;
