-- The resumption rates rolled up per day, place and industry section, kept current in the
-- same transaction as every write that moves them (an enterprise registered, an exclusion
-- set, a report filed or corrected). The days covered are listed in resumption_days, a
-- contiguous run from the first to the last day reported.

CREATE TABLE resumption_days (
    day DATE PRIMARY KEY
);

CREATE TABLE resumption_rollup (
    day        DATE NOT NULL,
    place      TEXT COLLATE "C" NOT NULL,
    section    TEXT NOT NULL,
    registered BIGINT NOT NULL,
    excluded   BIGINT NOT NULL,
    resumed    BIGINT NOT NULL,
    headcount  BIGINT NOT NULL,
    on_duty    BIGINT NOT NULL,
    baseline   BIGINT NOT NULL,
    output     BIGINT NOT NULL,
    PRIMARY KEY (day, place, section)
);
-- Covering, so that a place's series over many days reads one index range.
CREATE INDEX resumption_rollup_place ON resumption_rollup (place, day, section, registered, excluded, resumed, headcount, on_duty, baseline, output);
