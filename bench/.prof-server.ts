import { CONTENDERS } from './hello-servers.js';
const port = await CONTENDERS[process.argv[2] as 'hangar']();
console.log('PORT', port);
setTimeout(() => process.exit(0), Number(process.argv[3] ?? 12) * 1000);
