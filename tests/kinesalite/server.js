// Starts kinesalite on 127.0.0.1 only (its own CLI binds every interface).
// Usage: node tests/kinesalite/server.js PORT
// Prints "listening <port>" once ready; stops on SIGTERM or SIGINT.
'use strict';

const kinesalite = require('kinesalite');

const port = Number(process.argv[2] || 4567);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node server.js PORT');
  process.exit(2);
}

const server = kinesalite({ createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 50 });
server.listen(port, '127.0.0.1', (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log('listening ' + port);
});

// A client killed mid-request (the crash harness kills kiter with SIGKILL at random moments) must
// not take the emulator down with it, as it would not take down Kinesis: say it and serve on.
process.on('uncaughtException', (err) => {
  console.error('kinesalite: ' + (err && err.stack ? err.stack : err));
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
