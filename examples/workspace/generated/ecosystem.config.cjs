// Apps built at run time cannot be checked statically: dynamic-apps says so once.
const BASE_PORT = 5595;
const names = ['gen-a', 'gen-b'];

module.exports = {
  apps: names.map((name, i) => ({ name, script: `${name}.js`, env: { PORT: BASE_PORT + i } })),
};
