-- Remote participants (issue 14 item 7): a fediverse actor's `Join` of a federated event books
-- them like a member (capacity, waitlist, approval), keyed by their actor id. `guest_name`
-- holds their display name for the organiser's list; `remote_join` the id of the Join the
-- later Accept/Reject answers (a promotion or an organiser's decision comes after the Join).
ALTER TABLE event_bookings
    ADD COLUMN remote_actor TEXT CHECK (remote_actor IS NULL OR length(remote_actor) BETWEEN 8 AND 2048),
    ADD COLUMN remote_join  TEXT CHECK (remote_join IS NULL OR length(remote_join) BETWEEN 8 AND 2048);

-- Exactly one of a member, a guest's address or a remote actor; a name for guests and remote
-- participants only.
ALTER TABLE event_bookings DROP CONSTRAINT event_bookings_member_or_guest;
ALTER TABLE event_bookings ADD CONSTRAINT event_bookings_member_guest_or_remote
    CHECK (num_nonnulls(user_id, guest_email, remote_actor) = 1
           AND (guest_name IS NULL) = (user_id IS NOT NULL)
           AND (remote_join IS NULL) = (remote_actor IS NULL));

-- One live booking per remote actor and date, as for members and guests.
CREATE UNIQUE INDEX event_bookings_remote_live_idx ON event_bookings (occurrence_id, remote_actor)
    WHERE status IN ('pending', 'waitlisted', 'booked');
