DROP TABLE invoice_events, red_confirmation_lines;
ALTER TABLE invoices DROP CONSTRAINT invoices_red_confirmation_id_fkey;
DROP TABLE red_confirmations, invoice_claims, invoice_lines, invoices;
DROP FUNCTION red_confirmations_forward_only();
DROP FUNCTION invoice_claims_release_only();
DROP FUNCTION invoices_outcome_only();
DROP SEQUENCE invoice_request_no_seq;
