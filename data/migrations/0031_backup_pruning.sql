-- Backups removed by the retention counts keep their catalog row, marked pruned, so the
-- history of what was backed up and verified stays readable after the files are gone.
ALTER TABLE backup DROP CONSTRAINT backup_status_check;
ALTER TABLE backup ADD CONSTRAINT backup_status_check CHECK (status IN ('running', 'dumped', 'verified', 'failed', 'pruned'));
ALTER TABLE backup ADD COLUMN pruned_at timestamptz, ADD COLUMN prune_reason text;
