/* English strings of one area of the console; en.ts gathers the areas. */
export const obsEn = {
    'obs.indexing': 'Indexing the buckets… {count} objects so far',
    'obs.indexingBucket': 'Indexing {bucket}… {count} objects so far',
    'obs.indexingResumed': 'resumed where it stopped',
    'obs.indexFailed': 'The last walk of the buckets into the index failed; it will be tried again.',
} as const;
