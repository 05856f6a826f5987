-- Seau schema, version 11: what each grant allows. "read": list, search,
-- preview, download; "upload": that and upload (and new folders, for the
-- roles that may make them); "full": that and delete, rename, move and
-- share, as every grant allowed before this version.
ALTER TABLE grants ADD COLUMN level TEXT NOT NULL DEFAULT 'full'
    CHECK (level IN ('read', 'upload', 'full'));
