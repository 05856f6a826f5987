-- Seau schema for PostgreSQL, version 13: the key folded to lower case once,
-- when a row is written, instead of at every row a search reads.
--
-- lower(key COLLATE "und-x-icu") costs a few microseconds a row (ICU); a
-- search that counts its matches up to the cap, or a two-character query that
-- trigrams cannot serve, reads tens of thousands of rows, and spent most of
-- its time there (bench/search: 3 to 4 times faster with the stored column).
-- The trigram index moves to the stored column; the expression index goes.
ALTER TABLE objects
    ADD COLUMN key_folded text COLLATE "C"
    GENERATED ALWAYS AS (lower(key COLLATE "und-x-icu")) STORED;
CREATE INDEX objects_key_folded_trgm ON objects USING gin (key_folded gin_trgm_ops);
DROP INDEX objects_key_trgm;
