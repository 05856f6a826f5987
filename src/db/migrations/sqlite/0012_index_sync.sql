-- Seau schema, version 12: where the walk of each bucket into the object
-- index stands, so that a walk cut short (a restart, a new leader) resumes
-- where it stopped instead of starting over, and a server knows at start
-- whether a bucket was ever walked. Times are milliseconds since the epoch.
--
-- walk_started: the walk under way began then (its rows are marked seen at
-- that time, and its sweep removes what is older); 0 when none is under way.
-- after_key: the last key the walk under way stored (it resumes after it);
-- NULL to start from the first key. completed_at: when a walk last went to
-- the end (0: never).
CREATE TABLE index_sync (
    bucket       TEXT    NOT NULL PRIMARY KEY,
    walk_started INTEGER NOT NULL DEFAULT 0,
    after_key    TEXT,
    listed       INTEGER NOT NULL DEFAULT 0,
    completed_at INTEGER NOT NULL DEFAULT 0
);
