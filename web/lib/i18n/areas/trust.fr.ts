/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { trustEn } from './trust.en';

export const trustFr: Record<keyof typeof trustEn, string> = {
};
