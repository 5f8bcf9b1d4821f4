/**
 * A loopback nginx `upstream` in front of sidecar replicas (issue #16 §4): the config, the command line and Debian's
 * nginx installed when missing. Shared by the replica-kill test (sidecar/test/replicas/kill-replica.test.ts) and the
 * hosted benchmark (bench/hosted.ts). Node built-ins only, so both tsconfigs can import it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
    listen 127.0.0.1:${options.listenPort};
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
