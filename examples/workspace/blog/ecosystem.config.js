// The older guide's convention: each process declares a `ports` map and mirrors it in env.
module.exports = {
  apps: [
    {
      name: 'blog-api',
      script: 'server.js',
      ports: { api: 5580, health: 5581 },
      env: {
        PORT: 5580,
        HEALTH_PORT: 5582, // deliberate: the map says 5581 (ports-mismatch)
      },
    },
    {
      name: 'blog-web',
      script: 'web.js',
      ports: { ui: 5583 },
      env: { PORT: 5583 },
    },
  ],
};
