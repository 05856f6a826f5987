// fauxqs (SQS and SNS in the AWS JSON protocol) on 127.0.0.1 only, for the
// SQS tests of src/s3/sqs.c. Like ../../../shared/peers/fauxqs-loopback.mjs,
// which cannot find this folder's node_modules. FAUXQS_PORT sets the port.
import { buildApp } from 'fauxqs';
const port = parseInt(process.env.FAUXQS_PORT ?? '4566');
const app = buildApp({ logger: false, defaultRegion: process.env.FAUXQS_DEFAULT_REGION });
const addr = await app.listen({ port, host: '127.0.0.1' });
console.log(`fauxqs listening on ${addr}`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { await app.close(); process.exit(0); });
