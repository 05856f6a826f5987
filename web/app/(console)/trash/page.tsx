import { Suspense } from 'react';

import { TrashView } from '@/components/trash/trash-view';

export default function TrashPage() {
    return (
        <Suspense>
            <TrashView />
        </Suspense>
    );
}
