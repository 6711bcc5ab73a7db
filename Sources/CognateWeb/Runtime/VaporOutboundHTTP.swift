import CognateCore
import Foundation
import NIOCore
import Tracing
import Vapor

/// Core's requests to outside providers, sent with Vapor's HTTP client: ten seconds at most,
/// and an answer larger than a megabyte (no discovery document, key set or token answer is) is
/// refused. Each is a client span when tracing is on, and carries `traceparent` so the far side
/// (a trigger's webhook, a provider) can join the trace; the span names the host, never the
/// path or query.
struct VaporOutboundHTTP: OutboundHTTP {
    let client: any Client
    static let timeout: TimeAmount = .seconds(10)
    static let largestAnswer = 1 << 20

    func send(_ outbound: OutboundRequest) async throws -> OutboundAnswer {
        let uri = URI(string: outbound.url)
        let method = outbound.method == .post ? "POST" : "GET"
        return try await withSpan("\(method) \(uri.host ?? "?")", ofKind: .client) { span in
            span.attributes["http.request.method"] = method
            if let host = uri.host { span.attributes["server.address"] = host }
            let answer = try await sent(outbound, context: span.context)
            span.attributes["http.response.status_code"] = answer.status
            if answer.status >= 500 { span.setStatus(.init(code: .error)) }
            return answer
        }
    }

    private func sent(_ outbound: OutboundRequest, context: ServiceContext) async throws -> OutboundAnswer {
        let timeout = outbound.timeout.map { TimeAmount.milliseconds(Int64($0 * 1000)) } ?? Self.timeout
        var request = ClientRequest(method: outbound.method == .post ? .POST : .GET, url: URI(string: outbound.url), headers: [:],
                                    body: nil, timeout: timeout)
        for (name, value) in outbound.headers { request.headers.replaceOrAdd(name: name, value: value) }
        InstrumentationSystem.instrument.inject(context, into: &request.headers, using: HTTPHeadersInjector())
        if let form = outbound.form {
            request.headers.contentType = HTTPMediaType.urlEncodedForm
            request.body = ByteBuffer(string: FormEncoding.encode(form))
        } else if let body = outbound.body {
            request.body = ByteBuffer(data: body)
        }
        let response: ClientResponse
        do {
            response = try await client.send(request)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw OutboundError("\(URI(string: outbound.url).host ?? "the provider") did not answer in time", timedOut: true)
        } catch {
            throw OutboundError("\(URI(string: outbound.url).host ?? "the provider") could not be reached")
        }
        let body = response.body.map { Data($0.readableBytesView) } ?? Data()
        guard body.count <= Self.largestAnswer else { throw OutboundError("the answer is larger than \(Self.largestAnswer) bytes") }
        return OutboundAnswer(status: Int(response.status.code), body: body)
    }
}
