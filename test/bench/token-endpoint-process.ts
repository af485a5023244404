// A token endpoint for the benchmark, in its own process so that it does not share the credmon's event loop.
// Answers every refresh-token grant after DELAY_MS with a new access token and a rotated refresh token.
// Prints its URL on stdout. Loopback only.
import { createServer } from 'node:http';

const delayMs = Number(process.argv[2] ?? 0);
let n = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    n++;
    const body = JSON.stringify({
      access_token: `at-bench-${n}`,
      refresh_token: `rt-bench-${n}`,
      token_type: 'Bearer',
      expires_in: 3600,
    });
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/token`);
});
