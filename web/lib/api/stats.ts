import { request } from './client';
import { wireStats, type Stats } from './types';

export function stats(bucket?: string): Promise<Stats> {
    return request('GET', '/api/stats', { query: { bucket }, decode: wireStats });
}
