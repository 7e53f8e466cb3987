export { startServer, type RunningServer } from './server.js';
export { compileServerConfig, serverConfigSchema, type ServerConfig, type ServerConfigInput } from './config.js';
