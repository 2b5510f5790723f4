-- Provenance of imported meter readings: which import wrote a reading,
-- from which row of its sheet.
ALTER TABLE meter_readings
    ADD COLUMN import_id BIGINT REFERENCES imports (id),
    ADD COLUMN import_row INTEGER CHECK (import_row >= 1);
CREATE INDEX meter_readings_import ON meter_readings (import_id) WHERE import_id IS NOT NULL;
