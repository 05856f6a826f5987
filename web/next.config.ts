import type { NextConfig } from 'next';

/*
 * A static export: seau serves web/out itself, so production needs no
 * Node.js. Export forbids rewrites, redirects, middleware, server actions
 * and image optimisation; bucket and key travel in query parameters.
 */
const config: NextConfig = {
    output: 'export',
    images: { unoptimized: true },
    reactStrictMode: true,
    poweredByHeader: false,
    productionBrowserSourceMaps: false,
};

export default config;
