'use client';
/*
 * A windowed list: only the rows in view (plus a margin) are in the DOM, so
 * 10,000 entries scroll as smoothly as 10. Rows have one fixed height; the
 * container scrolls, and a spacer keeps the scrollbar true.
 */
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface VirtualListHandle {
    scrollToIndex(i: number): void;
}

interface Props {
    count: number;
    rowHeight: number;
    renderRow(index: number, style: React.CSSProperties): ReactNode;
    onEndReached?(): void;
    onKeyDown?(e: KeyboardEvent<HTMLDivElement>): void;
    header: ReactNode;
    label: string;
    activeDescendant?: string;
    rowCount: number;
    /** Below this width the list scrolls sideways rather than squeeze its columns. */
    minWidth?: string;
    /** Shown under the header while there are no rows yet (skeleton rows): the grid, and its focus, stay. */
    placeholder?: ReactNode;
}

const OVERSCAN = 8;

export const VirtualList = forwardRef<VirtualListHandle, Props>(function VirtualList({ count, rowHeight, renderRow, onEndReached, onKeyDown, header, label, activeDescendant, rowCount, minWidth, placeholder }, ref) {
    const box = useRef<HTMLDivElement>(null);
    const [scrollTop, setScrollTop] = useState(0);
    const [height, setHeight] = useState(600);

    useEffect(() => {
        const el = box.current;
        if (!el) return;
        const ro = new ResizeObserver(() => setHeight(el.clientHeight));
        ro.observe(el);
        setHeight(el.clientHeight);
        return () => ro.disconnect();
    }, []);

    useImperativeHandle(ref, () => ({
        scrollToIndex(i: number) {
            const el = box.current;
            if (!el) return;
            const top = i * rowHeight;
            const headerH = rowHeight;
            if (top < el.scrollTop) el.scrollTop = top;
            else if (top + rowHeight > el.scrollTop + el.clientHeight - headerH) el.scrollTop = top + rowHeight - el.clientHeight + headerH;
        },
    }));

    const onScroll = useCallback(() => {
        const el = box.current;
        if (!el) return;
        setScrollTop(el.scrollTop);
        if (onEndReached && el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight * 20) onEndReached();
    }, [onEndReached, rowHeight]);

    const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
    const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
    const rows: ReactNode[] = [];
    for (let i = first; i < last; i++) rows.push(renderRow(i, { position: 'absolute', top: i * rowHeight, left: 0, right: 0, height: rowHeight }));

    return (
        <div
            ref={box}
            onScroll={onScroll}
            onKeyDown={onKeyDown}
            tabIndex={0}
            role="grid"
            aria-label={label}
            aria-rowcount={rowCount}
            aria-activedescendant={activeDescendant}
            data-testid="file-list"
            className="relative min-h-0 flex-1 overflow-auto focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-blue-600"
        >
            {header}
            <div role="rowgroup" style={{ position: 'relative', height: count * rowHeight, minWidth }}>
                {rows}
            </div>
            {count === 0 ? placeholder : null}
        </div>
    );
});
