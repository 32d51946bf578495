DROP TABLE ghost_slug_clashes;
DROP TABLE ghost_sync_state;
DROP TABLE ghost_gone;
