ALTER TABLE meters DROP COLUMN valve_open, DROP COLUMN negative_since;
DROP TABLE valve_commands;
DROP TABLE iot_charges;
DROP TABLE card_operations;
DROP TABLE gas_purchases;
ALTER TABLE ic_cards DROP COLUMN purchase_count;
