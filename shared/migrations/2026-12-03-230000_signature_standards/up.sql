-- Which HTTP signature standard each remote host took (RFC 9421 or draft-cavage), for the
-- delivery worker's "double knocking": shared by every worker and kept across restarts; a row
-- older than 30 days is ignored (the host is asked with RFC 9421 again).
CREATE TABLE ap_signature_standards (
    host text PRIMARY KEY,
    standard text NOT NULL CHECK (standard IN ('rfc9421', 'cavage')),
    remembered_at timestamptz NOT NULL DEFAULT now()
);
