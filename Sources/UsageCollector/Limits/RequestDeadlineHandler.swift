import NIOCore
import NIOHTTPTypes

/// Closes a connection whose next request has not fully arrived `timeout` after the connection
/// opened or the previous response was sent: a slow client (one byte at a time, or headers that
/// never end) cannot hold a connection.
///
/// One timer per connection at most, moved lazily: a response only sets the new deadline, and a
/// timer that fires early schedules itself again for it (scheduling and cancelling a task for
/// every request was about 5 % of the collector's CPU under load).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let timeout: TimeAmount
    /// When the wait for the next request ends; `nil` while a request is being handled.
    var deadline: NIODeadline?
    var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            // The whole request is in: the handler's own time is not limited here.
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            arm(context)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        deadline = nil
        context.fireChannelInactive()
    }

    func arm(_ context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + timeout
        self.deadline = deadline
        if timer == nil { schedule(at: deadline, on: context.eventLoop, closing: context.channel) }
    }

    func schedule(at deadline: NIODeadline, on eventLoop: any EventLoop, closing channel: any Channel) {
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        timer = eventLoop.scheduleTask(deadline: deadline) {
            let handler = handler.value
            handler.timer = nil
            // A request in progress: its response arms the deadline again.
            guard let deadline = handler.deadline else { return }
            if deadline <= .now() {
                channel.close(promise: nil)
            } else {
                handler.schedule(at: deadline, on: eventLoop, closing: channel)
            }
        }
    }
}
