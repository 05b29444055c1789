// Runs s3rver (a real S3-compatible server) on 127.0.0.1 for the tests, in its own process: s3rver
// encrypts ListObjectsV2 continuation tokens with DES, which Node only offers with
// --openssl-legacy-provider, so this process is started with that flag and the tests' is not.
// Prints {"port": N} on stdout once listening; stops when stdin closes.
import S3rver from 's3rver';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => server.close().then(() => process.exit(0)));
