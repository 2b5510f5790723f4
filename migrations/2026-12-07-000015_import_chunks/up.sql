-- Chunked, resumable commits of huge import files. An import committed in
-- chunks records how far it got together with each chunk's rows, so a run
-- that stopped (crash, kill, cancel) continues after that row instead of
-- writing anything twice. 'partial' marks such an import until its last
-- chunk and its certificate are committed.
ALTER TABLE imports
    -- Valid rows per chunk; NULL for an all-or-nothing import.
    ADD COLUMN chunk_rows INTEGER CHECK (chunk_rows >= 1),
    -- The sheet row of the last row of the last committed chunk.
    ADD COLUMN committed_through_row INTEGER NOT NULL DEFAULT 0 CHECK (committed_through_row >= 0),
    ADD COLUMN chunks_done INTEGER NOT NULL DEFAULT 0 CHECK (chunks_done >= 0);
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('running', 'partial', 'committed', 'failed', 'cancelled'));
-- Finding the unfinished chunked import of a file to resume it.
CREATE INDEX imports_partial ON imports (kind, file_sha256) WHERE status = 'partial';
