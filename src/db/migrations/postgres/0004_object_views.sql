-- Seau schema for PostgreSQL, version 4: what GET /api/stats and the
-- size/date sorts of GET /api/list read from the object index without
-- scanning it (see the SQLite store's 0004_object_views.sql).
--
-- 1. Kept totals per bucket and kind, and per bucket and day of
--    last_modified. Here triggers keep them, in the transaction of every
--    write to objects: each row's delta is one upsert, atomic under
--    concurrent writers (two replicas syncing one bucket add, never lose).
CREATE TABLE object_totals (
    bucket  text COLLATE "C" NOT NULL,
    kind    text   NOT NULL,
    objects bigint NOT NULL,
    bytes   bigint NOT NULL,
    PRIMARY KEY (bucket, kind)
);

CREATE TABLE object_days (
    bucket  text COLLATE "C" NOT NULL,
    day     bigint NOT NULL,
    objects bigint NOT NULL,
    bytes   bigint NOT NULL,
    PRIMARY KEY (bucket, day)
);

INSERT INTO object_totals (bucket, kind, objects, bytes)
    SELECT bucket, kind, count(*), coalesce(sum(size), 0) FROM objects GROUP BY bucket, kind;
INSERT INTO object_days (bucket, day, objects, bytes)
    SELECT bucket, last_modified / 86400000, count(*), coalesce(sum(size), 0) FROM objects
    GROUP BY bucket, last_modified / 86400000;

CREATE FUNCTION objects_totals_note(b text, k text, lm bigint, n bigint, sz bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO object_totals (bucket, kind, objects, bytes) VALUES (b, k, n, n * sz)
        ON CONFLICT (bucket, kind) DO UPDATE
        SET objects = object_totals.objects + excluded.objects,
            bytes = object_totals.bytes + excluded.bytes;
    INSERT INTO object_days (bucket, day, objects, bytes) VALUES (b, lm / 86400000, n, n * sz)
        ON CONFLICT (bucket, day) DO UPDATE
        SET objects = object_days.objects + excluded.objects,
            bytes = object_days.bytes + excluded.bytes;
$$;

CREATE FUNCTION objects_totals_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'UPDATE' AND OLD.size = NEW.size AND OLD.kind = NEW.kind
           AND OLD.last_modified / 86400000 = NEW.last_modified / 86400000 THEN
            RETURN NULL; -- only seen_at or the like changed
        END IF;
        PERFORM objects_totals_note(OLD.bucket, OLD.kind, OLD.last_modified, -1, OLD.size);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM objects_totals_note(NEW.bucket, NEW.kind, NEW.last_modified, 1, NEW.size);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER objects_totals AFTER INSERT OR UPDATE OR DELETE ON objects
    FOR EACH ROW EXECUTE FUNCTION objects_totals_keep();

-- 2. parent: the folder a key lies in, up to and including its last '/'
--    ("" at the root; a folder marker "a/b/" is its own parent).
ALTER TABLE objects ADD COLUMN parent text COLLATE "C"
    GENERATED ALWAYS AS (regexp_replace(key, '[^/]*$', '')) STORED;

-- One folder level ordered by size or by date; id breaks ties.
CREATE INDEX objects_level_size ON objects (bucket, parent, size, id);
CREATE INDEX objects_level_modified ON objects (bucket, parent, last_modified, id);
