"""An AWS Lambda Invoke endpoint as the tests need one: each request's SigV4 signature is
checked by recomputing it with botocore's own signer (what AWS accepts), then the function the
path names runs the way Lambda runs a Python handler: its return is the answer; its exception
Lambda's error shape with X-Amz-Function-Error. Unknown functions are Lambda's 404."""
import http.server
import json
import re
import threading
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class LambdaEndpoint:
    def __init__(self, access_key, secret_key, token=None):
        self.credentials = Credentials(access_key, secret_key, token)
        self.functions = {}      # ARN -> handler(event, context)
        self.calls = []          # (arn, event or None, verified)
        self.status = {}         # ARN -> (status, body) answered instead, as Lambda's own refusals
        self.errors = []         # (ARN, exception) of functions invoked asynchronously that failed
        self.request_headers = []  # each request's headers, in order
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.request_headers.append({name.lower(): value for name, value in self.headers.items()})
                verified = endpoint.verify(self.command, self.path, self.headers, body)
                match = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations", self.path)
                arn = unquote(match.group(1)) if match else None
                endpoint.calls.append((arn, json.loads(body) if verified else None, verified))
                if not verified:
                    return self.answer(403, {"message": "The request signature we calculated does not match the signature you provided."})
                if arn in endpoint.status:
                    status, payload = endpoint.status[arn]
                    return self.answer(status, payload)
                if arn not in endpoint.functions:
                    return self.answer(404, {"Type": "User", "message": f"Function not found: {arn}"})
                if self.headers.get("X-Amz-Invocation-Type") == "Event":
                    # queued by Lambda: 202 and no body; the function's outcome is not the caller's
                    try:
                        endpoint.functions[arn](json.loads(body), None)
                    except Exception as error:
                        endpoint.errors.append((arn, error))
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    self.answer(200, endpoint.functions[arn](json.loads(body), None))
                except Exception as error:
                    self.answer(200, {"errorMessage": str(error), "errorType": type(error).__name__}, function_error=True)

            def answer(self, status, payload, function_error=False):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if function_error:
                    self.send_header("X-Amz-Function-Error", "Unhandled")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, method, path, headers, body):
        """Recomputes the request's signature with botocore, over the headers it says it signed."""
        authorization = headers.get("Authorization", "")
        found = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/lambda/aws4_request, "
                             r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", authorization)
        if not found or found.group(1) != self.credentials.access_key:
            return False
        signed = found.group(4).split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return False
        if self.credentials.token and headers.get("X-Amz-Security-Token") != self.credentials.token:
            return False
        request = AWSRequest(method=method, url=f"http://{headers['Host']}{path}", data=body,
                             headers={name: headers[name] for name in signed})
        request.context["timestamp"] = headers["X-Amz-Date"]
        signer = SigV4Auth(self.credentials, "lambda", found.group(3))
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return expected == found.group(5)

    def stop(self):
        self.server.shutdown()
