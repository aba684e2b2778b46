// Deliberate syntax error: a missing comma between two apps. The other apps are still checked.
module.exports = {
  apps: [
    { name: 'broken-api', script: 'api.js', env: { PORT: 5585 } }
    { name: 'broken-ui', script: 'node_modules/.bin/vite', env: { VITE_PORT: 5586 } },
  ],
};
