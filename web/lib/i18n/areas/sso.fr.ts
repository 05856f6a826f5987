/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { ssoEn } from './sso.en';

export const ssoFr: Record<keyof typeof ssoEn, string> = {
};
