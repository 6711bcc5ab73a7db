"""A trigger receiver as an app would run it: an HTTP server on loopback that verifies each
request's Standard Webhooks signature with the `standardwebhooks` package from PyPI, then hands
the event to a Cognito Lambda handler, unchanged, behind the few lines of `serve`."""
import http.server
import json
import threading
import time

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret):
        self.secrets = [secret]
        self.handlers = {}       # path -> Cognito Lambda handler(event, context)
        self.calls = []          # (path, event, verified)
        self.delays = {}         # path -> seconds to wait before answering
        self.raw = {}            # path -> (status, body bytes) answered as is
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verified = any(receiver.verify(secret, body, self.headers) for secret in receiver.secrets)
                event = json.loads(body) if verified else None
                receiver.calls.append((self.path, event, verified))
                if not verified:
                    return self.answer(401, {"errorMessage": "bad signature"})
                time.sleep(receiver.delays.get(self.path, 0))
                if self.path in receiver.raw:
                    status, raw = receiver.raw[self.path]
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                status, answer = serve(receiver.handlers[self.path], event)
                self.answer(status, answer)

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except BrokenPipeError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def verify(secret, body, headers):
        try:
            Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
            return True
        except Exception:
            return False

    def stop(self):
        self.server.shutdown()


def serve(handler, event):
    """The wrapper: a Lambda handler's return is the answer; its exception, Lambda's error shape."""
    try:
        return 200, handler(event, None)
    except Exception as error:
        return 400, {"errorMessage": str(error), "errorType": type(error).__name__}
