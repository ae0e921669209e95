-- People on duty by place and day without reading the deployments: for each place at
-- province (2), prefecture (4), county (6) and township (9) level, +1 on the first day of each
-- stretch a person is deployed there without a break (overlapping deployments of one person
-- merged, so that a person counts once) and -1 on the day after it ends. People on duty in a
-- place on day D are Σ delta over the days up to D. Kept in the transaction that writes the
-- deployments.
CREATE TABLE on_duty_days (
    level INTEGER NOT NULL,
    place TEXT NOT NULL,
    day   TEXT NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (level, place, day)
) WITHOUT ROWID;

INSERT INTO on_duty_days (level, place, day, delta)
WITH lv(n) AS (VALUES (2), (4), (6), (9)),
r AS (
    SELECT lv.n AS level, SUBSTR(d.jurisdiction_code, 1, lv.n) AS place, d.person_id,
           d.start_on AS s, COALESCE(d.end_on, '9999-12-31') AS e
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
    SELECT level, place, date(e, '+1 day'), -1 FROM spans WHERE e <> '9999-12-31'
)
SELECT level, place, day, SUM(delta) FROM deltas GROUP BY level, place, day HAVING SUM(delta) <> 0;

-- Checkpoint counts by checkpoint and day (what the command view reads for a prefecture or
-- the province over four weeks without reading the passages), kept by triggers in the
-- statement that writes a passage.
CREATE TABLE passage_days (
    checkpoint_id     INTEGER NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    day               TEXT NOT NULL,
    passages          INTEGER NOT NULL,
    vehicles          INTEGER NOT NULL,
    persons           INTEGER NOT NULL,
    fevers            INTEGER NOT NULL,
    let_through       INTEGER NOT NULL,
    turned_back       INTEGER NOT NULL,
    observed          INTEGER NOT NULL,
    quarantined       INTEGER NOT NULL,
    PRIMARY KEY (checkpoint_id, day, jurisdiction_code)
) WITHOUT ROWID;
CREATE INDEX passage_days_day ON passage_days (day, jurisdiction_code);

INSERT INTO passage_days
SELECT checkpoint_id, jurisdiction_code, pass_date, COUNT(*),
       SUM(CASE WHEN plate IS NULL THEN 0 ELSE 1 END), SUM(persons), SUM(fevers), SUM(let_through),
       SUM(turned_back), SUM(observed), SUM(quarantined)
FROM passages GROUP BY checkpoint_id, jurisdiction_code, pass_date;

CREATE TRIGGER passage_days_insert AFTER INSERT ON passages
BEGIN
    INSERT INTO passage_days VALUES (NEW.checkpoint_id, NEW.jurisdiction_code, NEW.pass_date, 1,
        CASE WHEN NEW.plate IS NULL THEN 0 ELSE 1 END, NEW.persons, NEW.fevers, NEW.let_through,
        NEW.turned_back, NEW.observed, NEW.quarantined)
    ON CONFLICT (checkpoint_id, day, jurisdiction_code) DO UPDATE SET
        passages = passages + excluded.passages, vehicles = vehicles + excluded.vehicles,
        persons = persons + excluded.persons, fevers = fevers + excluded.fevers,
        let_through = let_through + excluded.let_through, turned_back = turned_back + excluded.turned_back,
        observed = observed + excluded.observed, quarantined = quarantined + excluded.quarantined;
END;

CREATE TRIGGER passage_days_delete AFTER DELETE ON passages
BEGIN
    UPDATE passage_days SET passages = passages - 1,
        vehicles = vehicles - CASE WHEN OLD.plate IS NULL THEN 0 ELSE 1 END,
        persons = persons - OLD.persons, fevers = fevers - OLD.fevers,
        let_through = let_through - OLD.let_through, turned_back = turned_back - OLD.turned_back,
        observed = observed - OLD.observed, quarantined = quarantined - OLD.quarantined
    WHERE checkpoint_id = OLD.checkpoint_id AND day = OLD.pass_date
      AND jurisdiction_code = OLD.jurisdiction_code;
END;

CREATE TRIGGER passage_days_update AFTER UPDATE OF checkpoint_id, jurisdiction_code, pass_date,
    plate, persons, fevers, let_through, turned_back, observed, quarantined ON passages
BEGIN
    UPDATE passage_days SET passages = passages - 1,
        vehicles = vehicles - CASE WHEN OLD.plate IS NULL THEN 0 ELSE 1 END,
        persons = persons - OLD.persons, fevers = fevers - OLD.fevers,
        let_through = let_through - OLD.let_through, turned_back = turned_back - OLD.turned_back,
        observed = observed - OLD.observed, quarantined = quarantined - OLD.quarantined
    WHERE checkpoint_id = OLD.checkpoint_id AND day = OLD.pass_date
      AND jurisdiction_code = OLD.jurisdiction_code;
    INSERT INTO passage_days VALUES (NEW.checkpoint_id, NEW.jurisdiction_code, NEW.pass_date, 1,
        CASE WHEN NEW.plate IS NULL THEN 0 ELSE 1 END, NEW.persons, NEW.fevers, NEW.let_through,
        NEW.turned_back, NEW.observed, NEW.quarantined)
    ON CONFLICT (checkpoint_id, day, jurisdiction_code) DO UPDATE SET
        passages = passages + excluded.passages, vehicles = vehicles + excluded.vehicles,
        persons = persons + excluded.persons, fevers = fevers + excluded.fevers,
        let_through = let_through + excluded.let_through, turned_back = turned_back + excluded.turned_back,
        observed = observed + excluded.observed, quarantined = quarantined + excluded.quarantined;
END;
