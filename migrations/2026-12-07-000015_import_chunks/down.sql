DROP INDEX imports_partial;
-- An unfinished chunked import can no longer be resumed.
UPDATE imports SET status = 'failed' WHERE status = 'partial';
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('running', 'committed', 'failed', 'cancelled'));
ALTER TABLE imports
    DROP COLUMN chunk_rows,
    DROP COLUMN committed_through_row,
    DROP COLUMN chunks_done;
