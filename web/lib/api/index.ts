/* The typed API module: every server call of the web client goes through here. */
export { ApiError, apiUrl, onSessionLost } from './client';
export * from './types';
export * as auth from './auth';
export * as files from './files';
export * as uploads from './uploads';
export * as shares from './shares';
export * as admin from './admin';
export * as notifications from './notifications';
export * as trust from './trust';
export type { PrefixTotals, StoreCapabilities } from './trust';
export { stats } from './stats';
export { TransferError, putToUrl } from './transfer';
export type { SortKey, ListPage, SearchFilters } from './files';
