"""The rollups' PostgreSQL functions, triggers and index (installed by migration 0002)."""

CREATE = """
CREATE FUNCTION dashboard_rollup_tz() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT time_zone FROM admin_dashboard_rollupstate WHERE id = 1
$$;

-- Latency buckets in milliseconds: 100 ms wide below a minute, 1 s below ten minutes, then
-- one minute. Monotonic in the latency, so a percentile's rank falls in one bucket whose
-- tickets are then sorted exactly (the index below reads only that bucket of the range).
CREATE FUNCTION dashboard_latency_bucket(d interval) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN ms < 0 THEN -1
    WHEN ms < 60000 THEN floor(ms / 100)::integer
    WHEN ms < 600000 THEN 600 + floor((ms - 60000) / 1000)::integer
    ELSE 1140 + least(floor((ms - 600000) / 60000), 1000000)::integer
  END
  FROM (SELECT EXTRACT(EPOCH FROM d) * 1000 AS ms) AS latency
$$;

CREATE INDEX dashboard_ticket_latency ON tickets_ticket
  (dashboard_latency_bucket(finished_at - created_at), created_at) INCLUDE (finished_at)
  WHERE status = 'succeeded' AND finished_at IS NOT NULL;

CREATE FUNCTION dashboard_ticket_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := dashboard_rollup_tz();
BEGIN
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO admin_dashboard_ticketday (day, ticket_type, quality, status, tickets)
    VALUES ((OLD.created_at AT TIME ZONE tz)::date, OLD.ticket_type, OLD.quality, OLD.status, -1);
    IF OLD.status = 'succeeded' AND OLD.finished_at IS NOT NULL THEN
      INSERT INTO admin_dashboard_latencyday (day, bucket, tickets)
      VALUES ((OLD.created_at AT TIME ZONE tz)::date,
              dashboard_latency_bucket(OLD.finished_at - OLD.created_at), -1);
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO admin_dashboard_ticketday (day, ticket_type, quality, status, tickets)
    VALUES ((NEW.created_at AT TIME ZONE tz)::date, NEW.ticket_type, NEW.quality, NEW.status, 1);
    IF NEW.status = 'succeeded' AND NEW.finished_at IS NOT NULL THEN
      INSERT INTO admin_dashboard_latencyday (day, bucket, tickets)
      VALUES ((NEW.created_at AT TIME ZONE tz)::date,
              dashboard_latency_bucket(NEW.finished_at - NEW.created_at), 1);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER dashboard_ticket_rollup AFTER INSERT OR DELETE ON tickets_ticket
  FOR EACH ROW EXECUTE FUNCTION dashboard_ticket_rollup();
-- Most updates (a lease renewed, a title edited) change no figure: skipped without a call.
CREATE TRIGGER dashboard_ticket_rollup_update AFTER UPDATE ON tickets_ticket
  FOR EACH ROW WHEN (
    (OLD.created_at, OLD.ticket_type, OLD.quality, OLD.status, OLD.finished_at)
    IS DISTINCT FROM (NEW.created_at, NEW.ticket_type, NEW.quality, NEW.status, NEW.finished_at)
  ) EXECUTE FUNCTION dashboard_ticket_rollup();

-- One account's spend-day chain is changed by one transaction at a time (advisory lock
-- 722022/account; the ledger's services already hold the account's row lock by then).
CREATE FUNCTION dashboard_lock_spender(acct bigint) RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(722022, (acct % 2147483647)::integer)
$$;

CREATE FUNCTION dashboard_is_user_account(acct bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM accounts_user WHERE token_account_id = acct)
$$;

-- A spend on local day d: add (acct, d) to the account's chain of spend days if new.
CREATE FUNCTION dashboard_spender_add(acct bigint, d date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  p date;
  q date;
BEGIN
  PERFORM dashboard_lock_spender(acct);
  IF EXISTS (SELECT 1 FROM admin_dashboard_spenderday WHERE account_id = acct AND day = d) THEN
    RETURN;
  END IF;
  SELECT coalesce(max(day), DATE '0001-01-01') INTO p
    FROM admin_dashboard_spenderday WHERE account_id = acct AND day < d;
  SELECT min(day) INTO q FROM admin_dashboard_spenderday WHERE account_id = acct AND day > d;
  INSERT INTO admin_dashboard_spenderday (account_id, day, prev_day) VALUES (acct, d, p);
  IF q IS NOT NULL THEN
    UPDATE admin_dashboard_spenderday SET prev_day = d WHERE account_id = acct AND day = q;
  END IF;
  IF dashboard_is_user_account(acct) THEN
    INSERT INTO admin_dashboard_activeday (day, prev_day, accounts) VALUES (d, p, 1);
    IF q IS NOT NULL THEN
      INSERT INTO admin_dashboard_activeday (day, prev_day, accounts)
      VALUES (q, p, -1), (q, d, 1);
    END IF;
  END IF;
END
$$;

-- A spend left local day d: drop (acct, d) from the chain unless another spend is still there.
CREATE FUNCTION dashboard_spender_remove(acct bigint, d date, tz text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  p date;
  q date;
BEGIN
  PERFORM dashboard_lock_spender(acct);
  IF EXISTS (
    SELECT 1 FROM tokens_ledgerentry
    WHERE account_id = acct AND kind = 'spend'
      AND created_at >= (d::timestamp AT TIME ZONE tz)
      AND created_at < ((d + 1)::timestamp AT TIME ZONE tz)
  ) THEN
    RETURN;
  END IF;
  SELECT prev_day INTO p FROM admin_dashboard_spenderday WHERE account_id = acct AND day = d;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT min(day) INTO q FROM admin_dashboard_spenderday WHERE account_id = acct AND day > d;
  DELETE FROM admin_dashboard_spenderday WHERE account_id = acct AND day = d;
  IF q IS NOT NULL THEN
    UPDATE admin_dashboard_spenderday SET prev_day = p WHERE account_id = acct AND day = q;
  END IF;
  IF dashboard_is_user_account(acct) THEN
    INSERT INTO admin_dashboard_activeday (day, prev_day, accounts) VALUES (d, p, -1);
    IF q IS NOT NULL THEN
      INSERT INTO admin_dashboard_activeday (day, prev_day, accounts)
      VALUES (q, d, -1), (q, p, 1);
    END IF;
  END IF;
END
$$;

CREATE FUNCTION dashboard_entry_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := dashboard_rollup_tz();
BEGIN
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO admin_dashboard_entryday (day, kind, credited, debited)
    VALUES ((OLD.created_at AT TIME ZONE tz)::date, OLD.kind,
            -greatest(OLD.amount, 0), -least(OLD.amount, 0));
    IF OLD.kind = 'spend' THEN
      PERFORM dashboard_spender_remove(OLD.account_id, (OLD.created_at AT TIME ZONE tz)::date, tz);
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO admin_dashboard_entryday (day, kind, credited, debited)
    VALUES ((NEW.created_at AT TIME ZONE tz)::date, NEW.kind,
            greatest(NEW.amount, 0), least(NEW.amount, 0));
    IF NEW.kind = 'spend' THEN
      PERFORM dashboard_spender_add(NEW.account_id, (NEW.created_at AT TIME ZONE tz)::date);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER dashboard_entry_rollup AFTER INSERT OR DELETE ON tokens_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION dashboard_entry_rollup();
CREATE TRIGGER dashboard_entry_rollup_update AFTER UPDATE ON tokens_ledgerentry
  FOR EACH ROW WHEN (
    (OLD.created_at, OLD.kind, OLD.amount, OLD.account_id)
    IS DISTINCT FROM (NEW.created_at, NEW.kind, NEW.amount, NEW.account_id)
  ) EXECUTE FUNCTION dashboard_entry_rollup();

-- An account gained (sign = 1) or lost (-1) its user: its spend days count, or stop counting.
CREATE FUNCTION dashboard_active_account(acct bigint, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dashboard_lock_spender(acct);
  INSERT INTO admin_dashboard_activeday (day, prev_day, accounts)
  SELECT day, prev_day, sign FROM admin_dashboard_spenderday WHERE account_id = acct;
END
$$;

CREATE FUNCTION dashboard_user_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := dashboard_rollup_tz();
BEGIN
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE'
     OR (TG_OP = 'UPDATE' AND OLD.date_joined IS DISTINCT FROM NEW.date_joined) THEN
    INSERT INTO admin_dashboard_signupday (day, users)
    VALUES ((OLD.date_joined AT TIME ZONE tz)::date, -1);
  END IF;
  IF TG_OP = 'INSERT'
     OR (TG_OP = 'UPDATE' AND OLD.date_joined IS DISTINCT FROM NEW.date_joined) THEN
    INSERT INTO admin_dashboard_signupday (day, users)
    VALUES ((NEW.date_joined AT TIME ZONE tz)::date, 1);
  END IF;
  -- Visitors merged into this user are new or not by its join date.
  IF TG_OP = 'UPDATE' AND OLD.date_joined IS DISTINCT FROM NEW.date_joined THEN
    INSERT INTO admin_dashboard_visitorday (day, visitors)
    SELECT (created_at AT TIME ZONE tz)::date,
           (NEW.date_joined > created_at)::integer - (OLD.date_joined > created_at)::integer
    FROM accounts_anonymousvisitor
    WHERE merged_into_id = NEW.id
      AND (NEW.date_joined > created_at) <> (OLD.date_joined > created_at);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.token_account_id IS NOT NULL
     AND (TG_OP = 'DELETE' OR OLD.token_account_id IS DISTINCT FROM NEW.token_account_id) THEN
    PERFORM dashboard_active_account(OLD.token_account_id, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.token_account_id IS NOT NULL
     AND (TG_OP = 'INSERT' OR OLD.token_account_id IS DISTINCT FROM NEW.token_account_id) THEN
    PERFORM dashboard_active_account(NEW.token_account_id, 1);
  END IF;
  RETURN NULL;
END
$$;

-- A visitor is new unless merged into an account that existed before it (list_new_visitors).
CREATE FUNCTION dashboard_visitor_is_new(merged bigint, seen timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT merged IS NULL
         OR coalesce((SELECT date_joined > seen FROM accounts_user WHERE id = merged), false)
$$;

CREATE FUNCTION dashboard_visitor_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := dashboard_rollup_tz();
BEGIN
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND dashboard_visitor_is_new(OLD.merged_into_id, OLD.created_at)
  THEN
    INSERT INTO admin_dashboard_visitorday (day, visitors)
    VALUES ((OLD.created_at AT TIME ZONE tz)::date, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND dashboard_visitor_is_new(NEW.merged_into_id, NEW.created_at)
  THEN
    INSERT INTO admin_dashboard_visitorday (day, visitors)
    VALUES ((NEW.created_at AT TIME ZONE tz)::date, 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER dashboard_visitor_rollup AFTER INSERT OR DELETE ON accounts_anonymousvisitor
  FOR EACH ROW EXECUTE FUNCTION dashboard_visitor_rollup();
CREATE TRIGGER dashboard_visitor_rollup_update AFTER UPDATE ON accounts_anonymousvisitor
  FOR EACH ROW WHEN (
    (OLD.created_at, OLD.merged_into_id) IS DISTINCT FROM (NEW.created_at, NEW.merged_into_id)
  ) EXECUTE FUNCTION dashboard_visitor_rollup();

CREATE TRIGGER dashboard_user_rollup AFTER INSERT OR DELETE ON accounts_user
  FOR EACH ROW EXECUTE FUNCTION dashboard_user_rollup();
-- A sign-in updates last_login: no call unless the join date or the account changes.
CREATE TRIGGER dashboard_user_rollup_update AFTER UPDATE ON accounts_user
  FOR EACH ROW WHEN (
    (OLD.date_joined, OLD.token_account_id) IS DISTINCT FROM (NEW.date_joined, NEW.token_account_id)
  ) EXECUTE FUNCTION dashboard_user_rollup();
"""

DROP = """
DROP TRIGGER IF EXISTS dashboard_visitor_rollup_update ON accounts_anonymousvisitor;
DROP TRIGGER IF EXISTS dashboard_visitor_rollup ON accounts_anonymousvisitor;
DROP FUNCTION IF EXISTS dashboard_visitor_rollup();
DROP FUNCTION IF EXISTS dashboard_visitor_is_new(bigint, timestamptz);
DROP TRIGGER IF EXISTS dashboard_user_rollup_update ON accounts_user;
DROP TRIGGER IF EXISTS dashboard_user_rollup ON accounts_user;
DROP TRIGGER IF EXISTS dashboard_entry_rollup_update ON tokens_ledgerentry;
DROP TRIGGER IF EXISTS dashboard_entry_rollup ON tokens_ledgerentry;
DROP TRIGGER IF EXISTS dashboard_ticket_rollup_update ON tickets_ticket;
DROP TRIGGER IF EXISTS dashboard_ticket_rollup ON tickets_ticket;
DROP FUNCTION IF EXISTS dashboard_user_rollup();
DROP FUNCTION IF EXISTS dashboard_active_account(bigint, integer);
DROP FUNCTION IF EXISTS dashboard_entry_rollup();
DROP FUNCTION IF EXISTS dashboard_spender_remove(bigint, date, text);
DROP FUNCTION IF EXISTS dashboard_spender_add(bigint, date);
DROP FUNCTION IF EXISTS dashboard_is_user_account(bigint);
DROP FUNCTION IF EXISTS dashboard_lock_spender(bigint);
DROP FUNCTION IF EXISTS dashboard_ticket_rollup();
DROP INDEX IF EXISTS dashboard_ticket_latency;
DROP FUNCTION IF EXISTS dashboard_latency_bucket(interval);
DROP FUNCTION IF EXISTS dashboard_rollup_tz();
"""
