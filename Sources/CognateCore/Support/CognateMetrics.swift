import Foundation
import Metrics

/// The service's own metrics, through swift-metrics: nothing is kept unless the process
/// bootstrapped a metrics system (the server does with COGNATE_METRICS_ADDRESS, as Prometheus
/// counters, gauges and histograms). Every label takes values from a short fixed set, never
/// from what a caller sends freely, so no one can grow the series without end.
public enum CognateMetrics {
    /// A sign-in attempt by its flow (an API AuthFlow, `hosted`, `federated`) and result
    /// (`success`: tokens; `challenge`: a further step asked; `failure`).
    public static func signIn(flow: String, result: String) {
        Counter(label: "cognate_sign_ins_total", dimensions: [("flow", flow), ("result", result)]).increment()
    }

    /// A password judged (`right`, `wrong`), or refused unchecked while its user is locked out (`locked`).
    static func passwordCheck(_ result: String) {
        Counter(label: "cognate_password_checks_total", dimensions: [("result", result)]).increment()
    }

    /// A user locked out (the fifth wrong password, and each after it).
    static func lockout() {
        Counter(label: "cognate_lockouts_total").increment()
    }

    /// Tokens issued, by the grant or trigger source that asked (`authentication`, `refresh_token`, `client_credentials`, …).
    static func tokensIssued(_ grant: String) {
        Counter(label: "cognate_tokens_issued_total", dimensions: [("grant", grant)]).increment()
    }

    /// Password hashing: jobs waiting or running, and how long a job waited for a thread.
    static func hashQueue(depth: Int) {
        Gauge(label: "cognate_password_hash_queue").record(depth)
    }

    static func hashWait(nanoseconds: UInt64) {
        Timer(label: "cognate_password_hash_wait_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// The outbox: messages due and not yet delivered (seen at each delivery round), and failed attempts by channel.
    static func outboxBacklog(_ count: Int) {
        Gauge(label: "cognate_outbox_backlog").record(count)
    }

    static func deliveryFailure(channel: String) {
        Counter(label: "cognate_outbox_delivery_failures_total", dimensions: [("channel", channel)]).increment()
    }

    /// A trigger called, by its kind (`PreSignUp`, …) and result (`ok`, `failed`).
    static func triggerCall(_ trigger: String, result: String) {
        Counter(label: "cognate_trigger_calls_total", dimensions: [("trigger", trigger), ("result", result)]).increment()
    }
}
