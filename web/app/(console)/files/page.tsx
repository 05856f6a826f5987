import { Suspense } from 'react';

import { FileBrowser } from '@/components/files/browser';

/* Bucket and folder travel as ?bucket=&prefix= (keys are unbounded: no dynamic segments in a static export). */
export default function FilesPage() {
    return (
        <Suspense>
            <FileBrowser />
        </Suspense>
    );
}
