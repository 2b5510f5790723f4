DROP TRIGGER gas_purchases_no_delete ON gas_purchases;
DROP TRIGGER gas_purchases_write_only ON gas_purchases;
DROP FUNCTION gas_purchases_write_only();
DROP INDEX gas_purchases_shift;
ALTER TABLE gas_purchases
    DROP CONSTRAINT gas_purchases_change,
    DROP CONSTRAINT gas_purchases_counter_sale,
    DROP COLUMN prepayment_after,
    DROP COLUMN arrears_after,
    DROP COLUMN reference,
    DROP COLUMN change_given,
    DROP COLUMN tendered,
    DROP COLUMN receipt_no,
    DROP COLUMN business_date,
    DROP COLUMN shift_id;
