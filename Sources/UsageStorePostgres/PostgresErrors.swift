import UsageStore
import PostgresNIO
import _ConnectionPoolModule

/// Turns PostgresNIO's errors into sentences for logs and the command line (PSQLError's own text
/// is deliberately generic), and tells which ones a retry can cure.
enum PostgresErrors {
    /// SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Serialization failures and deadlocks: the transaction was rolled back and may be retried.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let state = sqlState(of: error) else { return false }
        return state == "40001" || state == "40P01"
    }

    /// What went wrong, without query parameters (they may hold instance IDs).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let info = error.serverInfo
                var text = info?[.message] ?? "the server reported an error"
                if let detail = info?[.detail] { text += " (\(detail))" }
                if let state = info?[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            case .connectionError:
                return error.underlying.map { "cannot connect: \($0)" } ?? "cannot connect"
            case .sslUnsupported:
                return "the server does not accept TLS connections, but the URL's sslmode requires TLS"
            case .serverClosedConnection, .clientClosedConnection:
                return "the connection was closed" + (error.underlying.map { ": \($0)" } ?? "")
            case .unsupportedAuthMechanism, .authMechanismRequiresPassword:
                return "the server asks for a password (or an authentication method) the URL does not give: \(error.code)"
            default:
                return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
        }
        if let error = error as? ConnectionPoolError, error == .connectionCreationCircuitBreakerTripped {
            return "no connection to the database could be made for a minute"
        }
        if let error = error as? StoreError { return error.description }
        return "\(error)"
    }
}
