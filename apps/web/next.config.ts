import type { NextConfig } from 'next';

const config: NextConfig = {
  // The workspace packages ship TypeScript sources.
  transpilePackages: ['@koko/core', '@koko/agent-api', '@koko/db'],
  // Native and generated server-only modules stay outside the bundle.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/client', 'pino'],
  poweredByHeader: false,
};

export default config;
