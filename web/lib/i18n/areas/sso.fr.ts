/* Les textes français d'un domaine de la console ; fr.ts rassemble les domaines. */
import type { ssoEn } from './sso.en';

export const ssoFr: Record<keyof typeof ssoEn, string> = {
    'sso.signInWith': 'Se connecter avec {name}',
    'sso.or': 'ou avec votre mot de passe',
    'sso.passwordOff': 'Connectez-vous avec le compte de votre organisation.',
    'sso.error.sso_provider': 'Ce fournisseur de connexion n’est pas configuré ici.',
    'sso.error.sso_return_to': 'La page de retour n’était pas sur ce site : la connexion n’a pas commencé.',
    'sso.error.sso_unavailable': 'Le fournisseur de connexion est injoignable pour le moment. Réessayez dans un instant.',
    'sso.error.sso_state': 'La connexion a pris trop de temps ou a déjà servi. Recommencez-la.',
    'sso.error.sso_denied': 'Le fournisseur de connexion ne vous a pas laissé entrer (vous avez peut-être annulé).',
    'sso.error.sso_exchange': 'Le fournisseur de connexion a refusé de confirmer cette connexion. Recommencez-la.',
    'sso.error.sso_token': 'La réponse du fournisseur de connexion n’était pas digne de confiance : vous n’avez pas été connecté.',
    'sso.error.sso_email': 'Votre compte chez le fournisseur de connexion n’a pas d’adresse e-mail confirmée.',
    'sso.error.sso_domain': 'Votre adresse e-mail n’appartient pas à un domaine autorisé à utiliser cette console.',
    'sso.error.sso_role': 'Votre compte n’est dans aucun groupe autorisé à utiliser cette console. Demandez à votre administrateur.',
    'sso.error.sso_account': 'Votre compte ici est désactivé, ou son adresse e-mail appartient à un autre compte. Demandez à votre administrateur.',
    'sso.error.unknown': 'La connexion n’a pas abouti. Réessayez.',
};
