module.exports = {
  ...require('../../jest.preset.cjs'),
  rootDir: __dirname,
  // The harness restarts Kafka and MariaDB under live clients; some driver
  // reconnect timers outlive the run. Every client is closed explicitly, so
  // jest ends the process instead of waiting for them.
  forceExit: true,
};
