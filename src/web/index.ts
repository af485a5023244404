export { buildApp, type WebAppOptions } from './build-app.js';
export { createIssuerKeySource, jwksMaxAgeS, type IssuerKeyFiles, type IssuerKeySource } from './issuer-keys.js';
export { JWKS_PATH } from './routes/issuer-routes.js';
export { LoginStore, type LoginSession, type PendingLogin } from './login/login-store.js';
export { redactKeys, redactUrl } from './redact.js';
export { ListenSocketUnusable, listenOnSocket, SOCKET_MODE } from './listen-socket.js';
export { issuerSitesOf, mergeKeySources, type IssuerSite } from './issuer-sites.js';
