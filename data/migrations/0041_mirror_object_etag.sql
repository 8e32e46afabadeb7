-- The ETag the primary listed for each mirrored object. S3 lists modification times in whole
-- seconds, so a rewrite of the same size within that second keeps size and time; its ETag
-- changes, so comparing it as well sends the object to be hashed.
ALTER TABLE mirror_object ADD COLUMN source_etag text;
