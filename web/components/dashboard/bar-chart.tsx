'use client';
/*
 * A bar chart in plain SVG: a value axis with its unit (0, half, the
 * largest), labels under the bars, the value of a bar on hover or focus,
 * and the same numbers as a table one click away (its text alternative).
 */
import { useState } from 'react';

import { useI18n } from '@/lib/i18n';

export interface Bar {
    label: string;
    value: number;
}

const W = 320;
const H = 160;
const LEFT = 56;
const BOTTOM = 28;
const TOP = 8;

export function BarChart({ title, unit, data, format, tick }: { title: string; unit: string; data: Bar[]; format(v: number): string; tick?(label: string, i: number, n: number): string | null }) {
    const { t } = useI18n();
    const [hover, setHover] = useState<number | null>(null);
    const max = Math.max(1, ...data.map((d) => d.value));
    const plotW = W - LEFT - 4;
    const plotH = H - BOTTOM - TOP;
    const bw = plotW / Math.max(1, data.length);
    const y = (v: number) => TOP + plotH - (v / max) * plotH;
    const shown = hover !== null ? data[hover] : null;
    return (
        <figure className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-700 dark:bg-slate-900" data-testid="chart">
            <figcaption className="mb-1 flex flex-wrap items-baseline gap-2 text-sm font-semibold">
                {title}
                <span className="text-xs font-normal text-slate-700 dark:text-slate-300">({unit})</span>
                <span className="ml-auto text-xs font-normal tabular-nums" aria-live="polite" data-testid="chart-hover">
                    {shown ? `${shown.label}: ${format(shown.value)}` : ''}
                </span>
            </figcaption>
            {data.length === 0 ? (
                <p className="text-sm text-slate-700 dark:text-slate-300">{t('dash.noData')}</p>
            ) : (
                <>
                    <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full text-slate-700 dark:text-slate-300" role="img" aria-label={t('trust.chartAlt', { title, count: data.length })}>
                        {[0, 0.5, 1].map((f) => (
                            <g key={f}>
                                <line x1={LEFT} x2={W - 4} y1={y(max * f)} y2={y(max * f)} className="stroke-slate-300 dark:stroke-slate-700" strokeWidth={0.5} />
                                <text x={LEFT - 4} y={y(max * f) + 3} textAnchor="end" fontSize={9} fill="currentColor">
                                    {format(max * f)}
                                </text>
                            </g>
                        ))}
                        <line x1={LEFT} x2={LEFT} y1={TOP} y2={TOP + plotH} stroke="currentColor" strokeWidth={0.75} />
                        <line x1={LEFT} x2={W - 4} y1={TOP + plotH} y2={TOP + plotH} stroke="currentColor" strokeWidth={0.75} />
                        {data.map((d, i) => {
                            const h = (d.value / max) * plotH;
                            const label = tick ? tick(d.label, i, data.length) : d.label;
                            return (
                                <g key={d.label} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
                                    {/* The whole column answers the pointer, even above a short bar. */}
                                    <rect x={LEFT + i * bw} y={TOP} width={bw} height={plotH} fill="transparent" />
                                    <rect x={LEFT + i * bw + bw * 0.15} y={TOP + plotH - h} width={bw * 0.7} height={h} className={hover === i ? 'fill-blue-800 dark:fill-blue-300' : 'fill-blue-600 dark:fill-blue-400'}>
                                        <title>{`${d.label}: ${format(d.value)}`}</title>
                                    </rect>
                                    {label ? (
                                        <text x={LEFT + i * bw + bw / 2} y={H - BOTTOM + 12} textAnchor="middle" fontSize={8} fill="currentColor">
                                            {label}
                                        </text>
                                    ) : null}
                                </g>
                            );
                        })}
                    </svg>
                    <details className="mt-1 text-sm">
                        <summary className="cursor-pointer text-xs underline">{t('trust.chartTable')}</summary>
                        <table className="mt-1 w-full text-xs">
                            <thead>
                                <tr>
                                    <th scope="col" className="text-left">
                                        {t('trust.chartLabel')}
                                    </th>
                                    <th scope="col" className="text-right">
                                        {unit}
                                    </th>
                                </tr>
                            </thead>
                            <tbody>
                                {data.map((d) => (
                                    <tr key={d.label}>
                                        <td>{d.label}</td>
                                        <td className="text-right tabular-nums">{format(d.value)}</td>
                                    </tr>
                                ))}
                            </tbody>
                        </table>
                    </details>
                </>
            )}
        </figure>
    );
}
