-- Seau schema, version 4: what GET /api/stats and the size/date sorts of
-- GET /api/list read from the object index without scanning it.
--
-- 1. Kept totals: per bucket and kind, and per bucket and day of
--    last_modified, how many objects and bytes. The totals of a whole bucket
--    then cost a short range read instead of an aggregate over every row
--    (~0.8 s at 1M rows). sqlite/objects.c keeps them in the transaction of every
--    write to objects, one delta per (bucket, kind) and (bucket, day) per
--    transaction, not with triggers: a trigger on objects made each insert
--    of the sync walk about twice as slow next to its FTS5 insert (measured
--    1.2 s without, 2.7 s with, for 50k rows in 1000-row transactions). A
--    scope narrower than a bucket (a grant on a prefix) cannot use these and
--    aggregates its key range instead. day is last_modified / 86400000.
CREATE TABLE object_totals (
    bucket  TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    objects INTEGER NOT NULL,
    bytes   INTEGER NOT NULL,
    PRIMARY KEY (bucket, kind)
) WITHOUT ROWID;

CREATE TABLE object_days (
    bucket  TEXT    NOT NULL,
    day     INTEGER NOT NULL,
    objects INTEGER NOT NULL,
    bytes   INTEGER NOT NULL,
    PRIMARY KEY (bucket, day)
) WITHOUT ROWID;

INSERT INTO object_totals (bucket, kind, objects, bytes)
    SELECT bucket, kind, count(*), coalesce(sum(size), 0) FROM objects GROUP BY bucket, kind;
INSERT INTO object_days (bucket, day, objects, bytes)
    SELECT bucket, last_modified / 86400000, count(*), coalesce(sum(size), 0) FROM objects
    GROUP BY bucket, last_modified / 86400000;

-- 2. parent: the folder a key lies in, up to and including its last '/'
--    ("" at the root; a folder marker "a/b/" is its own parent). rtrim with
--    the set of the key's characters other than '/' strips the base name.
--    VIRTUAL: computed when read, stored only in the indexes below.
ALTER TABLE objects ADD COLUMN parent TEXT
    GENERATED ALWAYS AS (rtrim(key, replace(key, '/', ''))) VIRTUAL;

-- One folder level ordered by size or by date: a sorted page is a range read
-- of limit rows (the rowid, implicit in every index, breaks ties and makes
-- the keyset cursor exact), and the subfolders of a level are found by
-- seeking from one distinct parent to the next.
CREATE INDEX objects_level_size ON objects (bucket, parent, size);
CREATE INDEX objects_level_modified ON objects (bucket, parent, last_modified);

-- PostgreSQL equivalent (postgres.c, later): the same two tables kept by the
-- store's code, a STORED generated column (regexp_replace(key, '[^/]*$', '')),
-- and the same two indexes.
