// node-redlock (npm `redlock`, over ioredis), driven by locklab's
// interoperability tests (tests/interop/).
//
// One operation per run, so that the C++ test decides the order of events and
// checks the key between them. PORTS is a comma-separated list of servers on
// 127.0.0.1: one client each, and Redlock's quorum over them (N/2 + 1).
//
//   node node_lock.js acquire PORTS KEY TTL_MS   prints the value it stored
//   node node_lock.js release PORTS KEY VALUE    releases as the holder of VALUE
//   node node_lock.js version                    prints redlock's and ioredis's versions
//
// Exit codes (the test asserts them): 0 done; 1 refused (no quorum: the key is
// held by someone else, or VALUE is not the owner); 2 bad usage, a client
// error or an unexpected failure; 4 this script's own time limit; 5 the
// packages are not installed.
'use strict';

let Redis;
let Redlock;
try {
  Redis = require('ioredis');
  Redlock = require('redlock');
} catch (e) {
  console.error('node_modules is missing in ' + __dirname +
                ': run scripts/install-deps.sh --test (npm ci there); ' + e.message);
  process.exit(5);
}

// The test kills this process after its own deadline too; this limit makes
// the reason visible in the output first.
setTimeout(() => {
  console.error('node_lock.js: gave up after 10 s');
  process.exit(4);
}, 10000).unref();

function clients(ports) {
  // No reconnect loop and no retried commands: a server that is not there
  // must fail this run at once instead of keeping it alive.
  return ports.split(',').map((port) => new Redis({
    host: '127.0.0.1',
    port: Number(port),
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  }));
}

function redlockOver(servers, clientErrors) {
  // retryCount 0: one attempt, so "refused" means the key was held at that
  // moment. (lock() with per-call options would treat 0 as "use the default
  // of 10": redlock 4 reads `options.retryCount || this.retryCount`.)
  const redlock = new Redlock(servers, { retryCount: 0, driftFactor: 0.01 });
  // Redlock reports a failed server as a vote against and emits clientError:
  // collected so that such a run is an error (2), not a refusal (1).
  redlock.on('clientError', (err) => clientErrors.push(err.message));
  return redlock;
}

async function acquire(redlock, key, ttlMs) {
  const lock = await redlock.lock(key, ttlMs);
  console.log(lock.value);
}

async function release(redlock, key, value) {
  // A Lock object carrying the holder's value, as in a process that hands a
  // lock to another: unlock deletes only where the key still has this value.
  const lock = new Redlock.Lock(redlock, key, value, Date.now() + 60000, 1, 0);
  await redlock.unlock(lock);
}

async function main(argv) {
  if (argv[0] === 'version') {
    console.log('redlock ' + require('redlock/package.json').version +
                ' ioredis ' + require('ioredis/package.json').version);
    return 0;
  }
  const op = { acquire, release }[argv[0]];
  if (!op || argv.length !== 4) {
    console.error('usage: node_lock.js acquire PORTS KEY TTL_MS | release PORTS KEY VALUE | version');
    return 2;
  }
  const servers = clients(argv[1]);
  const clientErrors = [];
  const redlock = redlockOver(servers, clientErrors);
  let code = 0;
  try {
    await op(redlock, argv[2], argv[0] === 'acquire' ? Number(argv[3]) : argv[3]);
  } catch (e) {
    console.error(argv[0] + ' refused: ' + e.name + ': ' + e.message);
    code = e instanceof Redlock.LockError ? 1 : 2;
  }
  if (clientErrors.length > 0) {
    console.error('client errors: ' + clientErrors.join('; '));
    code = 2;
  }
  servers.forEach((s) => s.disconnect());
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error('node_lock.js: ' + e.stack);
    process.exit(2);
  });
