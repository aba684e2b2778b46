// A PortOS-core-like file: its processes are named portos-*, so it is PortOS itself (role core) and its own
// ports are not reserved-range findings.
const PORTS = {
  API: 5555, // portos-server
  UI: 5554, // portos-ui (Vite)
  CDP: 5556, // portos-browser
  HEALTH: 5557, // portos-browser health
  COS: 5558, // portos-cos
  AUTOFIXER: 5559,
  AUTOFIXER_UI: 5560,
};

module.exports = {
  PORTS,
  apps: [
    { name: 'portos-server', script: 'server/index.js', env: { PORT: PORTS.API } },
    { name: 'portos-cos', script: 'server/cos-runner/index.js', env: { PORT: PORTS.COS } },
    {
      name: 'portos-ui',
      script: 'node_modules/.bin/vite',
      args: `--host 0.0.0.0 --port ${PORTS.UI}`,
      env: { VITE_PORT: PORTS.UI },
    },
    { name: 'portos-autofixer', script: 'autofixer/server.js', env: { PORT: PORTS.AUTOFIXER } },
    { name: 'portos-autofixer-ui', script: 'autofixer/ui.js', env: { PORT: PORTS.AUTOFIXER_UI } },
    {
      name: 'portos-browser',
      script: '.browser/server.js',
      env: { CDP_PORT: PORTS.CDP, PORT: PORTS.HEALTH },
    },
  ],
};
