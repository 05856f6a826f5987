/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { edgeEn } from './edge.en';

export const edgeFr: Record<keyof typeof edgeEn, string> = {
};
