-- Seau schema, version 2: the object index that answers search (and, later,
-- stats) without asking S3. Times are milliseconds since the Unix epoch.
--
-- One row per object Seau knows of. The index is a cache of S3: it is kept
-- current by Seau's own writes (upsert/delete of one row) and converged with
-- S3 by `seau index sync`, a ListObjectsV2 walk that marks every row it sees
-- (seen_at = the walk's start time) and then sweeps the bucket's rows left
-- unmarked. A row recorded by Seau itself during a walk has seen_at newer
-- than the walk's start, so the sweep keeps it.
--
-- kind is the search "type" (image, pdf, video, audio, text, archive,
-- document, other), derived from the content type and the key's extension by
-- files/index.c when the row is written, so a type filter is an equality.
--
-- A rowid table on purpose (not WITHOUT ROWID): the FTS index below refers
-- to rows by rowid, and an upsert keeps a row's rowid.
CREATE TABLE objects (
    bucket        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    etag          TEXT,
    last_modified INTEGER NOT NULL,
    content_type  TEXT,
    kind          TEXT    NOT NULL DEFAULT 'other',
    uploaded_by   INTEGER, -- a user id; NULL when unknown. Not a foreign key:
                           -- like the audit log, it outlives the account.
    indexed_at    INTEGER NOT NULL, -- when the row last changed
    seen_at       INTEGER NOT NULL, -- when S3 or Seau last confirmed it
    PRIMARY KEY (bucket, key)
);
CREATE INDEX objects_seen ON objects (bucket, seen_at);
CREATE INDEX objects_kind ON objects (kind, bucket, key);

-- Substring search on the key: an FTS5 index with the trigram tokenizer
-- (SQLite >= 3.34), case-insensitive (Unicode case folding, not just ASCII).
-- A query of n >= 3 characters becomes a phrase of its n-2 trigrams, which
-- matches exactly the keys that contain it. Queries of 2 characters cannot
-- use trigrams; the store answers them with a scan bounded by the bucket and
-- prefix ranges of the caller (sqlite/search.c).
--
-- External content (content='objects'): the index stores trigrams and
-- rowids only, the key text lives once, in objects. A contentless table would
-- save nothing more and could not delete rows before SQLite 3.43
-- (contentless_delete). The store functions in sqlite/objects.c keep it in step, not
-- triggers: with PRAGMA trusted_schema = OFF (set on every connection) SQLite
-- refuses a virtual table inside a trigger. Every write to objects therefore
-- goes through sqlite/objects.c, which inserts a new row's key here
-- and delete a removed row's key, in the same transaction. A key never
-- changes in place, so updates of a row cost no FTS work.
--
-- PostgreSQL equivalent (postgres.c, later): the same table, and
--   CREATE EXTENSION IF NOT EXISTS pg_trgm;
--   CREATE INDEX objects_key_trgm ON objects USING gin (key gin_trgm_ops);
-- queried with key ILIKE '%' || escaped_q || '%' (a pg_trgm GIN index serves
-- ILIKE; like here, queries under 3 characters fall back to the btree ranges).
CREATE VIRTUAL TABLE objects_fts USING fts5 (
    key,
    content = 'objects',
    content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0',
    detail = 'full'
);
