/* The typed API module: every server call of the web client goes through here. */
export { ApiError, apiUrl, onSessionLost } from './client';
export * from './types';
export * as auth from './auth';
export * as identity from './identity';
export * as files from './files';
export * as uploads from './uploads';
export * as shares from './shares';
export * as uploadLinks from './upload-links';
export * as admin from './admin';
export * as notifications from './notifications';
export * as recovery from './recovery';
export * as trust from './trust';
export type { PrefixTotals, StoreCapabilities } from './trust';
export { stats } from './stats';
export { indexProgress, type IndexProgress } from './ops';
export { TransferError, putToUrl } from './transfer';
export type { SortKey, ListPage, SearchFilters, Conflict } from './files';
export type { MfaStatus, Session, Token, Explanation, ExplainAction } from './identity';
