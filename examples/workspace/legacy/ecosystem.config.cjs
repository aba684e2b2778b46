// Deliberate mistakes: `portos-lsp check examples/workspace` reports each of them.
const PORTS = {
  API: 5574,
  ADMIN: 5575,
  METRICS: 5578, // leaves 5576–5577 empty
  OLD_REPORTS: 5579, // nothing uses it
};

const apps = [
  // { name: 'legacy-old-worker', script: 'old.js', env: { PORT: 5590 } },
  {
    name: 'legacy-api',
    script: 'api.js',
    env: {
      PORT: PORTS.API,
      API_PORT: PORTS.ADMIN, // labelled `api` like PORT
      METRICS_PORT: PORTS.METRICS,
    },
  },
  {
    name: 'legacy-worker',
    script: 'worker.js',
    env: {
      PORT: PORTS.API, // the same port as legacy-api
      SESSION_PORT: process.env.SESSION_PORT,
    },
  },
  {
    name: 'legacy-admin',
    script: 'admin.js',
    env: {
      PORT: PORTS.ADMN, // misspelt
      DEBUG_PORT: 70000,
    },
    env_production: {
      PORT: 5565, // in the range reserved for PortOS extensions
    },
  },
  {
    name: 'shop-api', // shop already has a process with this name
    script: 'dev.js',
    env: { PORT: 3000, STATUS_PORT: 80, GRAPHQL_PORT: 6100, SHOP_PORT: 5573 },
  },
];

module.exports = { apps };
