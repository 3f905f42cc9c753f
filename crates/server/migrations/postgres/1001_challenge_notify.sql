-- PostgreSQL only (numbered apart from the shared migrations in the folder above).
-- Every new challenge NOTIFYs `u:<user id>` and every status change `c:<challenge id>` on the
-- `countersign` channel, whichever node or admin command wrote it. PostgreSQL delivers them when
-- the transaction commits, so a listener never sees a challenge that is not there yet.

CREATE FUNCTION countersign_challenge_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('countersign', 'u:' || NEW.user_id);
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('countersign', 'c:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER challenges_notify AFTER INSERT OR UPDATE OF status ON challenges
    FOR EACH ROW EXECUTE FUNCTION countersign_challenge_notify();
