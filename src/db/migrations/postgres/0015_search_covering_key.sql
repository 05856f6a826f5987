-- Seau schema for PostgreSQL, version 15: the primary key's index also
-- carries key_folded (INCLUDE), so a search can test its substring on the
-- index alone, in key order, without reading the table.
--
-- A search counts its matches up to a cap (10,000): for a common substring
-- the trigram index yields every match of the whole index (a bitmap of all
-- of them, before the first can be counted) and the table must then be read
-- row by row; a scan of the scope's key range in the primary key's index
-- stops at the cap instead, and with key_folded in the index it is an
-- index-only scan (bench/search, 1,000,000 keys: counting 10,001 matches of
-- "invoice" in a bucket took 19 ms this way, 220 to 380 ms through the table).
-- Two-character queries, which trigrams cannot serve, read the index too
-- instead of the table. The index replaces the old one under the same name:
-- the same unique key (bucket, key), that ON CONFLICT (bucket, key) infers.
-- (Renamed before it becomes the key, so that PostgreSQL has nothing to rename.)
CREATE UNIQUE INDEX objects_pkey_folded ON objects (bucket, key) INCLUDE (key_folded);
ALTER TABLE objects DROP CONSTRAINT objects_pkey;
ALTER INDEX objects_pkey_folded RENAME TO objects_pkey;
ALTER TABLE objects ADD CONSTRAINT objects_pkey PRIMARY KEY USING INDEX objects_pkey;
