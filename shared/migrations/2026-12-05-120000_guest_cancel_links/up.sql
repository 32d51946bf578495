-- A guest's cancel link (the guest has no account to give a place back from): SHA-256 of its
-- token, which is only in their confirmation mail and on the page that confirms the booking.
ALTER TABLE event_bookings ADD COLUMN cancel_digest TEXT UNIQUE;
