// `npm run bench:isolate`: warm throughput of a hello-world app through Express, side by side: plain Express, Hangar
// (inline and process mode), edge-runtime and Miniflare/workerd. It is bench/hello.ts with every isolate contender.
process.env.BENCH_ONLY ??= 'express,hangar,hangar-process,edge-runtime,miniflare';
await import('./hello.js');
