// =============================================================================
// Port Configuration - All ports defined here as single source of truth
// =============================================================================
const PORTS = {
  API: 5570, // REST API server
  UI: 5571, // Web UI (Vite)
  CDP: 5572, // Chrome DevTools Protocol
  HEALTH: 5573, // Browser health check
};

module.exports = {
  PORTS, // Export for other configs to reference
  apps: [
    {
      name: 'shop-api',
      script: 'server/index.js',
      env: {
        PORT: PORTS.API,
        UI_PORT: PORTS.UI, // where the UI is, for CORS: a port this process connects to
        DB_PORT: 5432,
      },
      env_production: {
        NODE_ENV: 'production',
      },
    },
    {
      name: 'shop-ui',
      script: 'node_modules/.bin/vite',
      args: `--port ${PORTS.UI}`,
      env: {
        VITE_PORT: PORTS.UI,
      },
    },
    {
      name: 'shop-browser',
      script: 'browser/server.js',
      env: {
        CDP_PORT: PORTS.CDP,
        PORT: PORTS.HEALTH,
      },
    },
  ],
};
