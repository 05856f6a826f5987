/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { linksEn } from './links.en';

export const linksFr: Record<keyof typeof linksEn, string> = {
};
