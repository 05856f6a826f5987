-- Seau schema, version 9: the recycle bin and the tag index.
-- Times are milliseconds since the Unix epoch.
--
-- trash: what Seau deleted and can bring back. In a versioned bucket a
-- delete leaves a delete marker in S3 (version_id is the marker's, trash_key
-- is ''); the row only says who deleted and when, since S3 keeps the bytes
-- and its own list of markers. In a bucket with a trash prefix
-- (SEAU_TRASH), the object was moved to trash_key and the row is the only
-- record of where it came from; the janitor purges rows (and their objects)
-- older than the retention. deleted_by is not a foreign key: the record of
-- who deleted outlives the account, as the audit log does. uploaded_by keeps
-- the object's uploader (from the object index), so a restore gives the file
-- back to whoever uploaded it, not to whoever deleted it.
CREATE TABLE trash (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    trash_key   TEXT    NOT NULL DEFAULT '',
    version_id  TEXT    NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    deleted_by  INTEGER NOT NULL DEFAULT 0,
    deleted_at  INTEGER NOT NULL,
    uploaded_by INTEGER NOT NULL DEFAULT 0  -- the object's uploader, given back on restore
);
CREATE INDEX trash_bucket_key ON trash (bucket, key, id);
CREATE INDEX trash_deleted_at ON trash (deleted_at);
CREATE INDEX trash_marker ON trash (bucket, version_id);

-- object_tags: the tags Seau set (PUT /api/tags), so search and listings
-- filter by tag without asking S3 for every object.
CREATE TABLE object_tags (
    bucket TEXT NOT NULL,
    key    TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (bucket, key, name)
);
CREATE INDEX object_tags_tag ON object_tags (bucket, name, value);
