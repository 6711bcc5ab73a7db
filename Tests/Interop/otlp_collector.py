"""An OpenTelemetry collector's OTLP/HTTP receiver as the tests need one: POST /v1/traces with a
protobuf ExportTraceServiceRequest (opentelemetry-proto's own message classes parse it), kept
as sent (the raw bytes, to search for secrets) and as spans."""
import gzip
import http.server
import threading

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse


def attributes(items) -> dict:
    """OTLP key-values as a dict of plain values."""
    found = {}
    for item in items:
        kind = item.value.WhichOneof("value")
        found[item.key] = getattr(item.value, kind) if kind else None
    return found


class Collector:
    def __init__(self):
        self.bodies = []          # raw request bodies, decompressed
        self.content_types = []
        self.lock = threading.Lock()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ExportTraceServiceRequest.FromString(body)  # a malformed export fails here, loudly
                with collector.lock:
                    collector.bodies.append(body)
                    collector.content_types.append(self.headers.get("Content-Type"))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self):
        """Every span received: (resource attributes, span)."""
        with self.lock:
            bodies = list(self.bodies)
        found = []
        for body in bodies:
            for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    found.extend((resource, span) for span in scope_spans.spans)
        return found

    def raw(self) -> bytes:
        with self.lock:
            return b"".join(self.bodies)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
