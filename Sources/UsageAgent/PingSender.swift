import AsyncHTTPClient
import Logging
import NIOCore
import UsageTrackingCore

/// Sends one ping, retrying with exponential backoff and jitter on connection errors, 429
/// (honouring `Retry-After`) and 5xx; never on other 4xx; never past the deadline.
struct PingSender {
    let client: EndpointClient
    let deadline: Deadline
    let logger: Logger
    /// True for the original S3 destination, whose access log records every request: S3 answers
    /// 403 or 404 (no such object) and the ping has still been counted.
    var anyAnswerCounts = false
    var maximumAttempts = 5
    /// The first backoff; each retry doubles it, with full jitter.
    var baseDelay: TimeAmount = .milliseconds(500)

    enum Outcome: Sendable {
        case sent(status: Int)
        case refused(status: Int)
        case unreachable(String)
        /// The request went out and no answer came within the deadline: the collector may have
        /// stored it (it de-duplicates the day), the agent cannot know.
        case unanswered(String)
    }

    func send(_ request: PingRequest) async -> Outcome {
        var lastFailure = "no attempt"
        // Whether the last attempt's request went out and no answer came in time.
        var unanswered = false
        for attempt in 1...maximumAttempts {
            var retryAfter: TimeAmount? = nil
            unanswered = false
            let started = NIODeadline.now()
            do {
                let response = try await client.send(
                    method: request.method, url: request.url,
                    headers: request.headers.map { ($0.name, $0.value) }, body: request.body,
                    deadline: deadline.step(seconds: 10)
                )
                switch response.status {
                case 200..<300:
                    return .sent(status: response.status)
                case 429, 500...:
                    lastFailure = "HTTP \(response.status)"
                    if let header = response.headers.first(name: "Retry-After"), let seconds = Int64(header.trimmingWhitespace), seconds >= 0 {
                        retryAfter = .seconds(seconds)
                    }
                case 400..<500 where anyAnswerCounts:
                    return .sent(status: response.status)
                default:
                    return .refused(status: response.status)
                }
            } catch let error as HTTPClientError where (error == .deadlineExceeded || error == .readTimeout)
                && NIODeadline.now() - started > client.connectTimeout {
                // Longer than a connection may take: the request was sent, the answer did not come.
                lastFailure = "no answer within the attempt's time limit"
                unanswered = true
            } catch {
                lastFailure = "\(error)"
            }
            guard attempt < maximumAttempts else { break }
            let backoff = retryAfter ?? jitteredBackoff(attempt: attempt)
            guard backoff < deadline.remaining else {
                logger.info("giving up: the next retry would pass the deadline", metadata: ["ping.attempt": "\(attempt)", "error": "\(lastFailure)"])
                break
            }
            logger.info("retrying", metadata: ["ping.attempt": "\(attempt)", "retry.in_ms": "\(backoff.nanoseconds / 1_000_000)", "error": "\(lastFailure)"])
            try? await Task.sleep(for: .nanoseconds(backoff.nanoseconds))
        }
        return unanswered ? .unanswered(lastFailure) : .unreachable(lastFailure)
    }

    /// Full jitter: a random delay up to `base × 2^(attempt-1)`.
    func jitteredBackoff(attempt: Int) -> TimeAmount {
        let ceiling = baseDelay.nanoseconds << (attempt - 1)
        return .nanoseconds(Int64.random(in: 0...ceiling))
    }
}
