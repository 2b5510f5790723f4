DROP TABLE imported_payments;
