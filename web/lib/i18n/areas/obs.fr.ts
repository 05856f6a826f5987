/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { obsEn } from './obs.en';

export const obsFr: Record<keyof typeof obsEn, string> = {
    'obs.indexing': 'Indexation des buckets… {count} objets pour l’instant',
    'obs.indexingBucket': 'Indexation de {bucket}… {count} objets pour l’instant',
    'obs.indexingResumed': 'reprise là où elle s’était arrêtée',
    'obs.indexFailed': 'Le dernier parcours des buckets pour l’index a échoué ; il sera retenté.',
};
