import HTTPTypes
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The connections each client holds, so that one client cannot hold every connection the
/// collector serves (``ConnectionLimitHandler``).
final class ClientConnections: Sendable {
    let maximumPerClient: Int
    let open = Mutex<[String: Int]>([:])
    let refused = Counter(label: "usage_connections_refused_total")

    init(maximumPerClient: Int) {
        self.maximumPerClient = maximumPerClient
    }

    /// Counts a new connection of `client`; false when it already holds the most it may.
    func admit(_ client: String) -> Bool {
        let admitted = open.withLock { open in
            let count = open[client, default: 0]
            guard count < maximumPerClient else { return false }
            open[client] = count + 1
            return true
        }
        if !admitted { refused.increment() }
        return admitted
    }

    func close(_ client: String) {
        open.withLock { open in
            let count = open[client, default: 1] - 1
            open[client] = count > 0 ? count : nil
        }
    }
}

/// Bounds what one connection may take: it is closed at once when its client already holds the
/// most connections it may (``ClientConnections``); and after `maximumRequests` responses, or once
/// it is `maximumAge` old, its next response says `Connection: close` and the connection ends with
/// it, so that a keep-alive client sending a request now and then cannot keep a connection for good.
final class ConnectionLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let clients: ClientConnections?
    let maximumRequests: Int
    let maximumAge: TimeAmount
    var opened = NIODeadline.now()
    var client: String?
    var responses = 0
    var closing = false

    init(clients: ClientConnections?, maximumRequests: Int, maximumAge: TimeAmount) {
        self.clients = clients
        self.maximumRequests = maximumRequests
        self.maximumAge = maximumAge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func admit(_ context: ChannelHandlerContext) {
        opened = .now()
        guard let clients, client == nil else { return }
        let key = ClientAddress.key(context.channel.remoteAddress?.ipAddress ?? "unknown")
        if clients.admit(key) {
            client = key
        } else {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { clients?.close(client) }
        client = nil
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            responses += 1
            if responses >= maximumRequests || NIODeadline.now() - opened >= maximumAge {
                closing = true
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .end where closing:
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            if let promise { written.futureResult.cascade(to: promise) }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
