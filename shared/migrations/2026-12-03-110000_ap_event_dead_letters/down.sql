DROP TABLE ap_event_dead_letters;
