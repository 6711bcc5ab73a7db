import Vapor

struct HealthController: Sendable {
    struct Status: Content {
        var status: String
    }

    /// The process answers.
    func alive(_ request: Request) async throws -> Status {
        Status(status: "ok")
    }

    /// The database answers; 503 when it does not, so a load balancer stops sending traffic.
    func ready(_ request: Request) async throws -> Response {
        let response = Response(status: .ok)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        if request.application.draining.withLockedValue({ $0 }) {
            // stopping: still answering, but no more requests should come here
            response.status = .serviceUnavailable
            try response.content.encode(Status(status: "draining"))
            return response
        }
        do {
            try await request.services().store.ping()
            try response.content.encode(Status(status: "ready"))
        } catch {
            response.status = .serviceUnavailable
            try response.content.encode(Status(status: "unavailable"))
        }
        return response
    }
}
