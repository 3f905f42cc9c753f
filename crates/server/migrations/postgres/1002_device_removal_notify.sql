-- PostgreSQL only. Every device removal (deactivation, user reset or delete) NOTIFYs
-- `u:<user id>` on the `countersign` channel, so the node holding that device's long-poll wakes
-- it at once; the long-poll rereads its device and answers `410 device_not_activated`.
-- PostgreSQL folds identical notifications of one transaction into one.

CREATE FUNCTION countersign_device_removed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('countersign', 'u:' || OLD.user_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER devices_removed_notify AFTER DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION countersign_device_removed_notify();
