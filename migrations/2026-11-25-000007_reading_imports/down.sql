DROP INDEX meter_readings_import;
ALTER TABLE meter_readings DROP COLUMN import_row, DROP COLUMN import_id;
