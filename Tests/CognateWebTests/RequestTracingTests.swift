@testable import CognateWeb
import Foundation
import Testing

@Suite struct RequestTracingTests {
    @Test func aCognitoOperationNamesTheSpanOnlyWhenPlainlyOne() {
        let operation = RequestTracingMiddleware.operation("AWSCognitoIdentityProviderService.InitiateAuth")
        #expect(operation?.service == "AWSCognitoIdentityProviderService" && operation?.method == "InitiateAuth")
        for target in [nil, "", "InitiateAuth", "A.B.C", ".InitiateAuth", "Service.", "Service.Init iate", "Service.code=123&x",
                       "S." + String(repeating: "a", count: 120)] {
            #expect(RequestTracingMiddleware.operation(target) == nil, "\(target ?? "nil")")
        }
    }

    @Test func theTraceIdIsReadFromATraceparent() {
        #expect(RequestTracingMiddleware.traceID(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(RequestTracingMiddleware.traceID(traceparent: "00-4bf92f35-00f067aa0ba902b7-01") == nil)
        #expect(RequestTracingMiddleware.traceID(traceparent: nil) == nil)
    }

    @Test func spansGoToTheCollectorsTracesPath() throws {
        #expect(TraceExporter.tracesURL(try #require(URL(string: "http://127.0.0.1:4318"))) == "http://127.0.0.1:4318/v1/traces")
        #expect(TraceExporter.tracesURL(try #require(URL(string: "https://otel.example.com/otlp/"))) == "https://otel.example.com/otlp/v1/traces")
    }
}
