-- Pending challenges are few (each lives `challenge_ttl_seconds`) and are what every long-poll,
-- every push (replacing the user's pending one) and the per-second expiry look for: partial
-- indexes keep those lookups small even before the planner has statistics on a new table.
-- Ended challenges are deleted after their retention by creation time. Portable: SQLite and
-- PostgreSQL both have partial indexes.
CREATE INDEX challenges_pending_user ON challenges(user_id, seq) WHERE status = 'pending';
CREATE INDEX challenges_pending_expires ON challenges(expires) WHERE status = 'pending';
CREATE INDEX challenges_created ON challenges(created);
