-- Seau schema, version 6: notifications (API.md "Notifications and activity")
-- and the S3 event notifications already handled. Times are milliseconds
-- since the Unix epoch.
--
-- One row per notification shown to people: a change Seau made (source
-- 'seau'), a change seen on a bucket through S3 event notifications ('s3'),
-- or something the server itself reports ('system'). Rows are kept for
-- SEAU_NOTIFICATION_RETENTION and then purged by time.
--
-- AUTOINCREMENT on purpose: clients resume with ?since=<id>, so an id must
-- never be handed out twice, even after the newest rows were purged.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    time           INTEGER NOT NULL,          -- when the change happened
    type           TEXT    NOT NULL,          -- upload, delete, copy, rename, share, user, error
    source         TEXT    NOT NULL,          -- seau, s3, system
    bucket         TEXT,                      -- NULL for changes outside buckets (users)
    key            TEXT,                      -- the object, or the folder "prefix/"
    from_key       TEXT,                      -- rename and move: the key it had before
    size           INTEGER,                   -- bytes; NULL when unknown
    etag           TEXT,                      -- without quotes; matches S3's event to Seau's own
    actor          TEXT,                      -- who: an email (seau), S3's principal (s3)
    actor_id       INTEGER,                   -- the Seau account; not a foreign key (outlives it)
    target_user_id INTEGER,                   -- user notifications: the account changed
    message        TEXT    NOT NULL,
    -- A Seau change is later seen again as S3 event notifications: the first
    -- matching creation and removal are merged into this row (not shown twice).
    s3_created     INTEGER NOT NULL DEFAULT 0,
    s3_removed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_time ON notifications (time);
CREATE INDEX notifications_object ON notifications (bucket, key, id);
CREATE INDEX notifications_from ON notifications (bucket, from_key) WHERE from_key IS NOT NULL;

-- S3 event notifications handled, to drop the duplicates S3 may deliver (at
-- least once): bucket, key and S3's sequencer (else the event's time, name,
-- ETag and version). sequencer is S3's, left-padded with zeros to 32 hex
-- digits so that text order is S3's order of events on one key: an event
-- older than one already applied must not undo it in the object index.
CREATE TABLE s3_events_seen (
    bucket    TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    dedupe    TEXT    NOT NULL,
    sequencer TEXT,
    time      INTEGER NOT NULL, -- when Seau handled it (for the purge)
    PRIMARY KEY (bucket, key, dedupe)
) WITHOUT ROWID;
CREATE INDEX s3_events_seen_time ON s3_events_seen (time);
CREATE INDEX s3_events_seen_order ON s3_events_seen (bucket, key, sequencer);
