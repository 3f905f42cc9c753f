-- Housekeeping on every node: expiring pending challenges each second and deleting ended ones
-- past their retention should not scan the whole table (portable: SQLite and PostgreSQL both
-- have partial indexes).
CREATE INDEX challenges_pending_expires ON challenges(expires) WHERE status = 'pending';
CREATE INDEX challenges_created ON challenges(created);
