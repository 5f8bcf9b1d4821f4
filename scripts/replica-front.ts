/**
 * A loopback nginx `upstream` in front of sidecar replicas (issue #16 §4): the config, the command line and Debian's
 * nginx installed when missing. Shared by the replica-kill test (sidecar/test/replicas/kill-replica.test.ts), the
 * hosted benchmark (bench/hosted.ts) and, as a TLS front with a private test CA (issue #16 §5), the e2e spec
 * e2e/integration/hosted-https.spec.ts. Node built-ins only, so every tsconfig can import it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface NginxFrontOptions {
  /** Private dir for the pid file, logs and temp dirs (nginx.conf is written there by the caller). */
  dir: string;
  listenPort: number;
  upstreamPorts: readonly number[];
  workerConnections?: number;
  /** Idle keep-alive connections kept to the upstreams (0 = a new connection per request, nginx's default). */
  keepalive?: number;
  accessLog?: boolean;
  /** Serve https with this certificate and key (PEM files) instead of plain http. */
  tls?: { cert: string; key: string };
}

/** nginx.conf: one worker, foreground, everything under `dir`, round-robin over the upstream ports. */
export function nginxUpstreamConf(options: NginxFrontOptions): string {
  const { dir } = options;
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  const servers = options.upstreamPorts.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`).join('\n');
  return `${user}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${options.workerConnections ?? 256}; }
http {
  access_log ${options.accessLog === false ? 'off' : `${dir}/access.log`};
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream sidecars {
${servers}${options.keepalive ? `\n    keepalive ${options.keepalive};` : ''}
  }
  server {
    listen 127.0.0.1:${options.listenPort}${options.tls === undefined ? '' : ` ssl;
    ssl_certificate ${options.tls.cert};
    ssl_certificate_key ${options.tls.key}`};
    location / {
      proxy_pass http://sidecars;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

/** The argv that runs nginx on `dir/nginx.conf` in the foreground. */
export function nginxArgs(dir: string): string[] {
  return ['-c', join(dir, 'nginx.conf'), '-p', `${dir}/`, '-e', join(dir, 'error.log')];
}

/** Installs Debian's nginx (scripts/wp-runtime.sh deps) when it is missing. */
export function ensureNginx(root: string): void {
  if (!existsSync(NGINX_BIN)) {
    execFileSync('bash', [join(root, 'scripts/wp-runtime.sh'), 'deps', 'quiet'], { env: { ...process.env, WP_SERVER: 'nginx' }, stdio: 'ignore', timeout: 900_000 });
  }
}

export interface TestCertificates {
  /** The private CA's certificate: what a client must trust. */
  caCert: string;
  /** The server's certificate (signed by the CA) and key. */
  cert: string;
  key: string;
}

/**
 * A private test CA and one server certificate it signs, made with Debian's openssl in `dir` (2 days, RSA 2048).
 * The server certificate names exactly `ips` and `dnsNames` (subjectAltName), so any other host name is a mismatch.
 */
export function makeTestCertificates(dir: string, names: { ips?: readonly string[]; dnsNames?: readonly string[] }): TestCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const san = [...(names.ips ?? []).map((ip) => `IP:${ip}`), ...(names.dnsNames ?? []).map((name) => `DNS:${name}`)].join(',');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=IGNY8 Bridge test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=IGNY8 Bridge test sidecar');
  writeFileSync(file('server.ext'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'));
  return { caCert: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}
