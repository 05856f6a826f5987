/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { mfaEn } from './mfa.en';

export const mfaFr: Record<keyof typeof mfaEn, string> = {
};
