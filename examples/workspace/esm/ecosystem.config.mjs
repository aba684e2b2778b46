// An ES module PM2 cannot read apps from: it reads the named export `apps`, never the default one.
export default {
  apps: [{ name: 'esm-api', script: 'server.js', env: { PORT: 5594 } }],
};
