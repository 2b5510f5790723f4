DROP INDEX meter_readings_waiting;
DROP INDEX bills_period;
CREATE INDEX bills_period ON bills (period);
