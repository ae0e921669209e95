-- Daily closings of stock (日结): the balance of every store and item at the end of each
-- closed day, one row per (day, store, item), dense from the pair's first movement through
-- the last closed day. "Every store's balance of every item as of D" is then one range read
-- of day D's rows instead of one seek per pair into stock_days.
--
-- The rows are derived, like stock_days: a day is closed (its rows written from stock_days)
-- by the server's hourly job up to yesterday and no further than the last day with a
-- movement; a movement dated on or before the last closed day adds to its pair's closing of
-- that day and of every later closed day, in the movement's transaction. Days after the last
-- closed one are read from stock_days and stock_balances as before.

CREATE TABLE stock_closings (
    day       DATE NOT NULL,
    store_id  BIGINT NOT NULL,
    item_id   BIGINT NOT NULL,
    closing   BIGINT NOT NULL CHECK (closing >= 0),
    PRIMARY KEY (day, store_id, item_id)
);

-- The first and the last day with a movement, without a scan of the rollup.
CREATE INDEX stock_days_day ON stock_days (day);
