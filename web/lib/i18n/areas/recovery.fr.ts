/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { recoveryEn } from './recovery.en';

export const recoveryFr: Record<keyof typeof recoveryEn, string> = {
};
