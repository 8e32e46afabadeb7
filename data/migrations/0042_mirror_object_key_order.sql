-- A mirror run splits its listing at every 1,000th catalogued key in byte order, the order
-- object stores list keys in, whatever the database's collation.
CREATE INDEX mirror_object_key_bytes ON mirror_object (key COLLATE "C");
