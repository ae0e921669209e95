-- Who is on duty where on a day, answered from one index without reading the rows.
CREATE INDEX deployments_on_duty ON deployments (jurisdiction_code, start_on, end_on, person_id);
