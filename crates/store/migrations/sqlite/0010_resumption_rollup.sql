-- The resumption rates rolled up per day, place and industry section, kept current in the
-- same transaction as every write that moves them (an enterprise registered, an exclusion
-- set, a report filed or corrected). The days covered are listed in resumption_days, a
-- contiguous run from the first to the last day reported.

CREATE TABLE resumption_days (
    day TEXT PRIMARY KEY
);

CREATE TABLE resumption_rollup (
    day        TEXT NOT NULL,
    place      TEXT NOT NULL,
    section    TEXT NOT NULL,
    registered INTEGER NOT NULL,
    excluded   INTEGER NOT NULL,
    resumed    INTEGER NOT NULL,
    headcount  INTEGER NOT NULL,
    on_duty    INTEGER NOT NULL,
    baseline   INTEGER NOT NULL,
    output     INTEGER NOT NULL,
    PRIMARY KEY (day, place, section)
);
-- Covering, so that a place's series over many days reads one index range.
CREATE INDEX resumption_rollup_place ON resumption_rollup (place, day, section, registered, excluded, resumed, headcount, on_duty, baseline, output);
