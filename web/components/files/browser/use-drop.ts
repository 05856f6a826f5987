'use client';
/* Files dropped anywhere on the browser are uploaded into the open folder. */
import { useRef, useState, type DragEvent } from 'react';

import { fromDrop, type Picked } from '@/components/upload/collect';

export function useDropUpload(enqueue: (picked: Picked[]) => void) {
    const [dragging, setDragging] = useState(false);
    const depth = useRef(0);
    const isFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
    return {
        dragging,
        handlers: {
            onDragEnter(e: DragEvent) {
                if (!isFiles(e)) return;
                e.preventDefault();
                depth.current++;
                setDragging(true);
            },
            onDragOver(e: DragEvent) {
                if (isFiles(e)) e.preventDefault();
            },
            onDragLeave(e: DragEvent) {
                if (!isFiles(e)) return;
                depth.current = Math.max(0, depth.current - 1);
                if (depth.current === 0) setDragging(false);
            },
            async onDrop(e: DragEvent) {
                if (!isFiles(e)) return;
                e.preventDefault();
                depth.current = 0;
                setDragging(false);
                enqueue(await fromDrop(e.dataTransfer));
            },
        },
    };
}
