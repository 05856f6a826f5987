/*
 * A real OpenID Provider for the single sign-on tests: the npm package
 * oidc-provider (a certified implementation) on loopback, with its
 * development login pages (any password is accepted for a known account),
 * consent granted on its own, PKCE required, RS256 and ES256 keys.
 *
 * Configured by SEAU_OIDC_PEER, a JSON object:
 *   port          where to listen on 127.0.0.1 (0: any; the chosen one is printed)
 *   clients       oidc-provider client metadata (client_id, client_secret,
 *                 redirect_uris, id_token_signed_response_alg, ...)
 *   accountsFile  a JSON file {"<login>": {email, email_verified, name, groups}},
 *                 read again at every sign-in, so a test can change an account's
 *                 groups between two sign-ins
 * Prints one line "listening <issuer>" on stdout once it serves.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const cfg = JSON.parse(process.env.SEAU_OIDC_PEER ?? '{}');

function signingKey(kind, kid, alg) {
    const { privateKey } =
        kind === 'rsa'
            ? generateKeyPairSync('rsa', { modulusLength: 2048 })
            : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function accounts() {
    return cfg.accountsFile ? JSON.parse(readFileSync(cfg.accountsFile, 'utf8')) : {};
}

async function start() {
    const server = await new Promise((resolve) => {
        import('node:http').then(({ createServer }) => {
            const s = createServer();
            s.listen(cfg.port ?? 0, '127.0.0.1', () => resolve(s));
        });
    });
    const issuer = `http://127.0.0.1:${server.address().port}`;
    const provider = new Provider(issuer, {
        clients: cfg.clients ?? [],
        jwks: { keys: [signingKey('rsa', 'rsa-1', 'RS256'), signingKey('ec', 'ec-1', 'ES256')] },
        pkce: { methods: ['S256'], required: () => true },
        features: {
            devInteractions: { enabled: true },
            rpInitiatedLogout: { enabled: true },
        },
        claims: {
            openid: ['sub'],
            email: ['email', 'email_verified'],
            profile: ['name'],
            groups: ['groups'],
        },
        scopes: ['openid', 'email', 'profile', 'groups'],
        conformIdTokenClaims: false,
        cookies: { keys: ['seau-test-peer-cookie-key'] },
        async findAccount(ctx, id) {
            const a = accounts()[id];
            if (!a)
                return undefined;
            return { accountId: id, claims: async () => ({ sub: id, ...a }) };
        },
        /* Consent is granted on its own: the tests sign in, they do not click "allow". */
        async loadExistingGrant(ctx) {
            const grantId =
                ctx.oidc.result?.consent?.grantId ||
                ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
            if (grantId)
                return ctx.oidc.provider.Grant.find(grantId);
            const grant = new ctx.oidc.provider.Grant({
                clientId: ctx.oidc.client.clientId,
                accountId: ctx.oidc.session.accountId,
            });
            grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
            await grant.save();
            return grant;
        },
    });
    provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));
    server.on('request', provider.callback());
    process.stdout.write(`listening ${issuer}\n`);
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

start().catch((e) => {
    console.error(e);
    process.exit(1);
});
