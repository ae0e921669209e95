-- Idempotency keys (幂等键): a client that may retry a create (a phone on a bad network, a
-- script after a lost answer) sends a key of its own with it. Each key an account has used is
-- one row here, written in the transaction of the record it created: the kind of request,
-- the SHA-256 of the request as parsed (without the key), and the record's id. The same key
-- again with the same request answers with that record; with another request it is refused.
--
-- Keys given before this table (passages, stock movements, allocations) are carried over
-- with an empty fingerprint: a retry of those is answered with its record unchecked.

CREATE TABLE idempotency_keys (
    account      TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    record_id    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, idem_key)
);

INSERT INTO idempotency_keys (account, idem_key, kind, fingerprint, record_id, created_at)
SELECT recorded_by, idempotency_key, 'passage', '', id, created_at
FROM passages WHERE idempotency_key IS NOT NULL;

INSERT INTO idempotency_keys (account, idem_key, kind, fingerprint, record_id, created_at)
SELECT recorded_by, idempotency_key,
       CASE WHEN allocation_id IS NULL THEN 'stock_movement' ELSE 'allocation' END,
       '', COALESCE(allocation_id, id), created_at
FROM stock_movements WHERE idempotency_key IS NOT NULL;
