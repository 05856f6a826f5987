/* English strings of one area of the console; en.ts gathers the areas. */
export const ssoEn = {
    'sso.signInWith': 'Sign in with {name}',
    'sso.or': 'or with your password',
    'sso.passwordOff': 'Sign in with your organisation’s account.',
    'sso.error.sso_provider': 'This sign-in provider is not configured here.',
    'sso.error.sso_return_to': 'The page to come back to was not on this site, so the sign-in did not start.',
    'sso.error.sso_unavailable': 'The sign-in provider cannot be reached right now. Try again in a moment.',
    'sso.error.sso_state': 'The sign-in took too long or was already used. Start it again.',
    'sso.error.sso_denied': 'The sign-in provider did not let you in (you may have cancelled).',
    'sso.error.sso_exchange': 'The sign-in provider refused to confirm this sign-in. Start it again.',
    'sso.error.sso_token': 'The answer of the sign-in provider could not be trusted, so you were not signed in.',
    'sso.error.sso_email': 'Your account at the sign-in provider has no confirmed e-mail address.',
    'sso.error.sso_domain': 'Your e-mail address is not from a domain allowed to use this console.',
    'sso.error.sso_role': 'Your account is not in any group that may use this console. Ask your administrator.',
    'sso.error.sso_account': 'Your account here is disabled, or its e-mail address belongs to another account. Ask your administrator.',
    'sso.error.unknown': 'The sign-in did not succeed. Try again.',
} as const;
