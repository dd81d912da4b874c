import UsageTrackingCore

/// A report, defined once: its name, the parameters it takes and how it parses and bounds them,
/// and how it is computed from one snapshot of the rollups. The API (`/v1/reports/<name>`),
/// `stats --report <name>` and the dashboard all go through it; JSON, CSV and tables are
/// rendered at those edges.
public protocol Report: Sendable {
    associatedtype Result: Sendable

    /// The name in `/v1/reports/<name>` and `stats --report <name>`.
    static var name: String { get }

    /// The parameters it takes besides `from` and `to`.
    static var parameterNames: [String] { get }

    /// Parses and checks `parameters`; refuses one it does not take.
    init(_ parameters: ReportParameters) throws(InvalidInput)

    /// Computes the report from one consistent snapshot of the rollups. Throws ``InvalidInput``
    /// when the range, once its defaults are filled in, is too long.
    func compute(from reader: any RollupReader) async throws -> Result
}

extension UsageStore {
    /// Computes `report` from one snapshot holding every ping acknowledged before the call.
    public func report<R: Report>(_ report: R) async throws -> R.Result {
        try await readRollups { reader in try await report.compute(from: reader) }
    }

    /// Parses `parameters` for the report type `type` and computes it: what the API and `stats`
    /// do with a report asked for by name. Refusals of the parameters are ``InvalidInput``.
    public func report<R: Report>(_ type: R.Type, _ parameters: ReportParameters) async throws -> R.Result {
        try await report(try R(parameters))
    }
}
