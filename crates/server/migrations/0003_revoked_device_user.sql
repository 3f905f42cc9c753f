-- Which user a revoked device belonged to, and an index on when it was revoked: every node
-- rereads the recent removals each second and ends the long-polls of removed devices, even
-- when another process (an admin command) or node removed them. Rows revoked before this
-- migration have no user (their long-polls ended long ago).
ALTER TABLE revoked_devices ADD COLUMN user_id TEXT;
CREATE INDEX revoked_devices_revoked ON revoked_devices(revoked);
