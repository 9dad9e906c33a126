#!/usr/bin/env python3
"""Dev server for the dashboard without rebuilding metrics-api: serves the static files from this module and
forwards /api/* and /q/* to a running metrics-api, streaming Server-Sent Events through unbuffered.

    python3 dashboard/dev/serve.py --port 18090 --api http://localhost:18080
"""
import argparse
import http.client
import http.server
import os
import urllib.parse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'main', 'resources', 'META-INF', 'resources')
HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'}


class Handler(http.server.SimpleHTTPRequestHandler):
    api = None

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=ROOT, **kw)

    def proxied(self):
        return self.path.startswith('/api/') or self.path.startswith('/q/')

    def do_GET(self):
        self.forward() if self.proxied() else super().do_GET()

    def do_POST(self):
        self.forward() if self.proxied() else self.send_error(405)

    def do_DELETE(self):
        self.forward() if self.proxied() else self.send_error(405)

    def forward(self):
        up = urllib.parse.urlsplit(self.api)
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=3600)
        body = None
        if 'content-length' in self.headers:
            body = self.rfile.read(int(self.headers['content-length']))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != 'host'}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            res = conn.getresponse()
        except OSError as e:
            self.send_error(502, 'metrics-api unreachable: %s' % e)
            return
        self.send_response(res.status, res.reason)
        for k, v in res.getheaders():
            if k.lower() not in HOP and k.lower() != 'content-length':
                self.send_header(k, v)
        self.send_header('Connection', 'close')
        self.end_headers()
        self.close_connection = True
        try:
            while True:
                chunk = res.read1(65536)  # returns what has arrived: SSE events pass at once
                if not chunk:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            conn.close()

    def log_message(self, fmt, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, default=18090)
    p.add_argument('--api', default='http://localhost:8080')
    a = p.parse_args()
    Handler.api = a.api
    Handler.extensions_map['.js'] = 'text/javascript'
    http.server.ThreadingHTTPServer(('127.0.0.1', a.port), Handler).serve_forever()


if __name__ == '__main__':
    main()
