DROP TABLE notices;
DROP FUNCTION notices_outcome_only();
DROP FUNCTION notices_no_delete();
ALTER TABLE accounts DROP COLUMN notices_opt_out;
