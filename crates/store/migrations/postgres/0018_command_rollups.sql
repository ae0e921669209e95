-- People on duty by place and day without reading the deployments: for each place at
-- province (2), prefecture (4), county (6) and township (9) level, +1 on the first day of each
-- stretch a person is deployed there without a break (overlapping deployments of one person
-- merged, so that a person counts once) and -1 on the day after it ends. People on duty in a
-- place on day D are Σ delta over the days up to D. Kept in the transaction that writes the
-- deployments.
CREATE TABLE on_duty_days (
    level INTEGER NOT NULL,
    place TEXT COLLATE "C" NOT NULL,
    day   DATE NOT NULL,
    delta BIGINT NOT NULL,
    PRIMARY KEY (level, place, day)
);

INSERT INTO on_duty_days (level, place, day, delta)
WITH lv(n) AS (VALUES (2), (4), (6), (9)),
r AS (
    SELECT lv.n AS level, SUBSTR(d.jurisdiction_code, 1, lv.n) AS place, d.person_id,
           d.start_on AS s, COALESCE(d.end_on, DATE '9999-12-31') AS e
    FROM deployments d JOIN lv ON LENGTH(d.jurisdiction_code) >= lv.n
    WHERE d.end_on IS NULL OR d.end_on >= d.start_on
),
m AS (
    SELECT r.*, MAX(e) OVER (PARTITION BY level, place, person_id ORDER BY s, e
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
    FROM r
),
k AS (
    SELECT m.*, SUM(CASE WHEN prev_e IS NULL OR s > prev_e THEN 1 ELSE 0 END)
               OVER (PARTITION BY level, place, person_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM m
),
spans AS (
    SELECT level, place, MIN(s) AS s, MAX(e) AS e FROM k GROUP BY level, place, person_id, island
),
deltas AS (
    SELECT level, place, s AS day, 1 AS delta FROM spans
    UNION ALL
    SELECT level, place, e + 1, -1 FROM spans WHERE e <> DATE '9999-12-31'
)
SELECT level, place, day, SUM(delta) FROM deltas GROUP BY level, place, day HAVING SUM(delta) <> 0;

-- Checkpoint counts by checkpoint and day (what the command view reads for a prefecture or
-- the province over four weeks without reading the passages), kept by a trigger in the
-- statement that writes a passage.
CREATE TABLE passage_days (
    checkpoint_id     BIGINT NOT NULL,
    jurisdiction_code TEXT COLLATE "C" NOT NULL,
    day               DATE NOT NULL,
    passages          BIGINT NOT NULL,
    vehicles          BIGINT NOT NULL,
    persons           BIGINT NOT NULL,
    fevers            BIGINT NOT NULL,
    let_through       BIGINT NOT NULL,
    turned_back       BIGINT NOT NULL,
    observed          BIGINT NOT NULL,
    quarantined       BIGINT NOT NULL,
    PRIMARY KEY (checkpoint_id, day, jurisdiction_code)
);
CREATE INDEX passage_days_day ON passage_days (day, jurisdiction_code);

INSERT INTO passage_days
SELECT checkpoint_id, jurisdiction_code, pass_date, COUNT(*),
       SUM(CASE WHEN plate IS NULL THEN 0 ELSE 1 END), SUM(persons), SUM(fevers), SUM(let_through),
       SUM(turned_back), SUM(observed), SUM(quarantined)
FROM passages GROUP BY checkpoint_id, jurisdiction_code, pass_date;

CREATE FUNCTION passage_days_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
        UPDATE passage_days SET passages = passages - 1,
            vehicles = vehicles - CASE WHEN OLD.plate IS NULL THEN 0 ELSE 1 END,
            persons = persons - OLD.persons, fevers = fevers - OLD.fevers,
            let_through = let_through - OLD.let_through, turned_back = turned_back - OLD.turned_back,
            observed = observed - OLD.observed, quarantined = quarantined - OLD.quarantined
        WHERE checkpoint_id = OLD.checkpoint_id AND day = OLD.pass_date
          AND jurisdiction_code = OLD.jurisdiction_code;
    END IF;
    IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
        INSERT INTO passage_days VALUES (NEW.checkpoint_id, NEW.jurisdiction_code, NEW.pass_date, 1,
            CASE WHEN NEW.plate IS NULL THEN 0 ELSE 1 END, NEW.persons, NEW.fevers, NEW.let_through,
            NEW.turned_back, NEW.observed, NEW.quarantined)
        ON CONFLICT (checkpoint_id, day, jurisdiction_code) DO UPDATE SET
            passages = passage_days.passages + EXCLUDED.passages,
            vehicles = passage_days.vehicles + EXCLUDED.vehicles,
            persons = passage_days.persons + EXCLUDED.persons,
            fevers = passage_days.fevers + EXCLUDED.fevers,
            let_through = passage_days.let_through + EXCLUDED.let_through,
            turned_back = passage_days.turned_back + EXCLUDED.turned_back,
            observed = passage_days.observed + EXCLUDED.observed,
            quarantined = passage_days.quarantined + EXCLUDED.quarantined;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER passage_days_apply AFTER INSERT OR DELETE OR UPDATE OF checkpoint_id,
    jurisdiction_code, pass_date, plate, persons, fevers, let_through, turned_back, observed,
    quarantined ON passages FOR EACH ROW EXECUTE FUNCTION passage_days_apply();
