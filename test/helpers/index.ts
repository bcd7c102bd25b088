// The tests' helpers, one module per concern, re-exported here so that a suite imports from one
// place: paths, a supervisor started and followed, scrapes parsed by the official parser, scripted
// fake runners, waiting, the machine (ports, processes, temporary directories), and for web
// configuration files: certificates, password hashes and a GET over TLS; a Pushgateway; one job context.
export * from "./paths.js";
export * from "./supervisor.js";
export * from "./exposition.js";
export * from "./scripted-runner.js";
export * from "./wait.js";
export * from "./system.js";
export * from "./certificates.js";
export * from "./credentials.js";
export * from "./https.js";
export * from "./pushgateway.js";
export * from "./job-context.js";
