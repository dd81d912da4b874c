import Foundation
import Hummingbird
import UsageStore
import UsageTrackingCore

/// The two bodies of an acknowledgement, made once (a `ByteBuffer` is copied on write).
private let recordedFirstToday = ByteBuffer(string: #"{"recorded":true,"first_today":true}"#)
private let recordedAgain = ByteBuffer(string: #"{"recorded":true,"first_today":false}"#)

/// The write side: `POST /v1/pings` and the original distribution's `GET /instance-<id>.log`.
struct IngestController<Store: UsageStore> {
    let committer: GroupCommitter<Store>
    let clock: @Sendable () -> Int64
    let metrics: CollectorMetrics

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("v1/pings", use: postPing)
        routes.get(":object", use: getObject)
        return routes
    }

    /// `POST /v1/pings` with `{"instance_id":"i-…","region":"…"}`.
    @Sendable func postPing(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > PingPayload.maximumBodySize {
            metrics.rejected(reason: "body_too_large")
            throw APIError.bodyTooLarge
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: PingPayload.maximumBodySize)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            metrics.rejected(reason: "body_too_large")
            throw APIError.bodyTooLarge
        }
        let payload: PingPayload
        do {
            payload = try PingPayload.decode(body.readableBytesView)
        } catch {
            metrics.rejected(reason: error.code)
            throw APIError(error)
        }
        return try await record(Ping(instanceID: payload.instanceID, region: payload.region, receivedAtMilliseconds: clock()))
    }

    /// `GET /instance-<id>.log?x-instance-id=<id>`: the region comes from an S3 bucket Host header,
    /// else from `?region=`, else it is unknown.
    @Sendable func getObject(_ request: Request, context: AppRequestContext) async throws -> Response {
        let object = context.parameters.get("object") ?? ""
        guard let idText = UsageBucket.instanceIDText(fromObjectKey: Substring(object)) else {
            metrics.rejected(reason: "not_found")
            throw APIError(.notFound, code: "not_found", detail: "There is nothing at \(request.uri.path).")
        }
        let ping: Ping
        do {
            ping = try Self.originalPing(instanceIDText: idText, request: request, receivedAt: clock())
        } catch {
            metrics.rejected(reason: error.code)
            throw APIError(error)
        }
        // The original distribution's client is a one-shot curl that never retries: a 429 would
        // lose its day, so its pings wait instead (the connection limit bounds how many).
        return try await record(ping, mayShed: false)
    }

    /// Validates the original request shape into a ping.
    static func originalPing(instanceIDText: Substring, request: Request, receivedAt: Int64) throws(InvalidInput) -> Ping {
        let instanceID = try InstanceID(validating: instanceIDText)
        let query = request.uri.queryParameters
        if let claimed = query.get("x-instance-id"), claimed != instanceID.rawValue {
            throw InvalidInput(
                code: "instance_id_mismatch",
                detail: "x-instance-id \(InvalidInput.quoted(claimed)) does not match the instance ID in the path, \(instanceID)."
            )
        }
        var region: Region? = nil
        if let host = request.head.authority {
            region = try UsageBucket.region(fromHost: host)
        }
        if region == nil, let named = query.get("region") {
            region = try Region(validating: named)
        }
        return Ping(instanceID: instanceID, region: region, receivedAtMilliseconds: receivedAt)
    }

    /// Seconds a client is asked to wait when the store cannot write.
    static var retryAfterSeconds: Int { 5 }
    /// Seconds a client is asked to wait when too many pings wait for a commit.
    static var overloadRetryAfterSeconds: ClosedRange<Int> { 2...10 }

    func record(_ ping: Ping, mayShed: Bool = true) async throws -> Response {
        let outcome: RecordOutcome
        do {
            outcome = try await committer.record(ping, mayShed: mayShed)
        } catch is GroupCommitter<Store>.Overloaded {
            // More pings wait than the store commits in a moment: nothing was stored, and the
            // agent comes back after the wait (spread, so a burst does not return as one).
            metrics.rejected(reason: "overloaded")
            throw APIError(
                .tooManyRequests, code: "overloaded",
                detail: "The collector has more pings waiting than it can store right now; nothing was stored. Try again later.",
                headers: [.retryAfter: String(Int.random(in: Self.overloadRetryAfterSeconds))]
            )
        } catch {
            // A full disk, a database that cannot write or is shutting down: nothing was stored
            // (the group committer logged why); the agent retries after the wait.
            metrics.rejected(reason: "storage_unavailable")
            throw APIError(
                .serviceUnavailable, code: "storage_unavailable",
                detail: "The collector cannot store pings right now; nothing was stored. Try again later.",
                headers: [.retryAfter: String(Self.retryAfterSeconds)]
            )
        }
        metrics.recorded(firstToday: outcome.firstToday)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: outcome.firstToday ? recordedFirstToday : recordedAgain)
        )
    }
}
