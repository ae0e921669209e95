-- Stock taken out, cumulated (累计出库): beside each closing balance, the quantity taken out
-- of the pair from its first movement through the end of the day. The use of a period (the
-- days after F up to and including T) is then cum_out(T) - cum_out(F): for closed days two
-- range reads of the closings, instead of summing every day of the period for every pair.
--
-- Kept like `closing`: a movement taking stock out on day D adds to cum_out of its pair's
-- rollup rows from D on and, when D is closed, of its closings from D on.

ALTER TABLE stock_days ADD COLUMN cum_out BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stock_closings ADD COLUMN cum_out BIGINT NOT NULL DEFAULT 0;

UPDATE stock_days SET cum_out = t.cum
FROM (
    SELECT store_id, item_id, day,
           CAST(SUM(qty_out) OVER (PARTITION BY store_id, item_id ORDER BY day) AS BIGINT) AS cum
    FROM stock_days
) t
WHERE t.store_id = stock_days.store_id AND t.item_id = stock_days.item_id AND t.day = stock_days.day;

UPDATE stock_closings SET cum_out = COALESCE((
    SELECT d.cum_out FROM stock_days d
    WHERE d.store_id = stock_closings.store_id AND d.item_id = stock_closings.item_id
      AND d.day <= stock_closings.day
    ORDER BY d.day DESC LIMIT 1
), 0);
