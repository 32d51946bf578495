-- The event bus reads ap_activities in commit-safe order. Ids are taken when a row is inserted,
-- not when its transaction commits, so a reader that trusts `id > cursor` can skip a row whose
-- transaction commits late. Each row records its transaction id; a consumer reads only rows of
-- transactions older than every one still running (pg_snapshot_xmin), in (txid, id) order.
ALTER TABLE ap_activities ADD COLUMN txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX ap_activities_bus_idx ON ap_activities (txid, id) WHERE direction IN ('local', 'outbound');
ALTER TABLE ap_event_cursors ADD COLUMN last_txid BIGINT NOT NULL DEFAULT 0;

-- The inbox wakes the processor itself, coalescing many stored activities into one NOTIFY:
-- a NOTIFY in every storing transaction serializes their commits (see activitypub::wake).
DROP TRIGGER ap_activities_notify ON ap_activities;
CREATE TRIGGER ap_activities_notify AFTER INSERT ON ap_activities FOR EACH ROW
    WHEN (NEW.direction <> 'inbound') EXECUTE FUNCTION ap_activities_notify();
