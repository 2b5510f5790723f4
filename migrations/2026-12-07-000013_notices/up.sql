-- Bill notices (账单/欠费提醒): messages telling customers of a new bill or of
-- arrears, sent by SMS or as a WeChat template message through a provider's
-- adapter. Customers may opt out per account.

ALTER TABLE accounts ADD COLUMN notices_opt_out BOOLEAN NOT NULL DEFAULT false;

-- One row per message we decided to send. What it says never changes; only
-- its outcome moves forward: pending -> sent | failed | unknown | skipped,
-- failed -> sent | failed | unknown (a retry), unknown -> sent | failed
-- (the provider's answer, asked for — never a second message on a guess).
CREATE TABLE notices (
    id BIGSERIAL PRIMARY KEY,
    -- At most one notice per bill, one arrears reminder per account and
    -- day: `bill:ID`, `arrears:ACCOUNT:DAY` (and none while an earlier
    -- reminder is younger than notices.arrears_repeat_days).
    business_key TEXT NOT NULL UNIQUE,
    -- The business day it was queued on.
    queued_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('new_bill', 'arrears')),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    bill_id BIGINT REFERENCES bills (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat')),
    -- The phone as every role sees it; the number itself is decrypted only
    -- when the message leaves.
    recipient_masked TEXT NOT NULL,
    template TEXT NOT NULL,
    params JSONB NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'unknown', 'skipped')),
    status_detail TEXT NOT NULL DEFAULT '',
    provider_message_id TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    last_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (kind <> 'new_bill' OR bill_id IS NOT NULL)
);
CREATE INDEX notices_account ON notices (account_id, id);
CREATE INDEX notices_reminders ON notices (account_id, queued_on) WHERE kind = 'arrears';
CREATE INDEX notices_open ON notices (id) WHERE status IN ('pending', 'failed', 'unknown');

CREATE FUNCTION notices_outcome_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.business_key, NEW.queued_on, NEW.kind, NEW.account_id, NEW.bill_id, NEW.channel,
        NEW.recipient_masked, NEW.template, NEW.params, NEW.body, NEW.created_at)
       IS DISTINCT FROM
       (OLD.business_key, OLD.queued_on, OLD.kind, OLD.account_id, OLD.bill_id, OLD.channel,
        OLD.recipient_masked, OLD.template, OLD.params, OLD.body, OLD.created_at) THEN
        RAISE EXCEPTION 'notice % may change only its outcome', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status IN ('sent', 'skipped') AND NEW.status IS DISTINCT FROM OLD.status THEN
        RAISE EXCEPTION 'notice % is % already', OLD.id, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.attempts < OLD.attempts THEN
        RAISE EXCEPTION 'notice % cannot lose attempts', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER notices_outcome_only BEFORE UPDATE ON notices
    FOR EACH ROW EXECUTE FUNCTION notices_outcome_only();
CREATE FUNCTION notices_no_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'notices are kept' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
    FOR EACH ROW EXECUTE FUNCTION notices_no_delete();

GRANT SELECT, INSERT, UPDATE ON notices TO gascis_app;
GRANT USAGE ON SEQUENCE notices_id_seq TO gascis_app;
