DROP TABLE event_tickets;
DROP TABLE inventory_reservation_seats;
DROP TABLE event_ticket_types;
