/// Sums per day for one rollup series (one scope, or one window and scope): a dense array over the
/// days added so far, grown to cover each new one, so that adding to a day is an index, not a hash.
///
/// The days of real data lie within a few years of each other, but imports accept any date from
/// year 0 to 9999: the array never spans more than `maximumSpan` days (spare room it adds at the
/// front included), and a day it cannot reach within that is summed in a dictionary instead, so
/// one stray date cannot make the array huge.
public struct DaySums<Value: AdditiveArithmetic & Sendable>: Sendable {
    /// About 180 years of days.
    public static var maximumSpan: Int { 1 << 16 }

    /// The day of `dense[0]`.
    private var first = 0
    private var dense: [Value] = []
    private var sparse: [Int: Value] = [:]

    public init() {}

    /// Adds `value` to the sum of `day`.
    @inline(__always)
    public mutating func add(_ value: Value, on day: Int) {
        let offset = day &- first
        if offset >= 0 && offset < dense.count {
            dense[offset] += value
        } else if cover(day) {
            dense[day - first] += value
        } else {
            sparse[day, default: .zero] += value
        }
    }

    /// Days the array covers (for tests: never more than `maximumSpan`).
    public var arraySpan: Int { dense.count }

    /// The days whose sum is not zero, in day order, each once. (The array never grows over a day
    /// summed aside: that day was too far from the array's range, which only ever widens.)
    public func nonZero() -> [(day: Int, sum: Value)] {
        var sums = dense.enumerated().filter { $0.element != .zero }.map { (day: first + $0.offset, sum: $0.element) }
        if !sparse.isEmpty {
            sums += sparse.filter { $0.value != .zero }.map { (day: $0.key, sum: $0.value) }
            sums.sort { $0.day < $1.day }
        }
        return sums
    }

    /// Grows the array to cover `day`; false when that would make it span more than `maximumSpan`
    /// days. Growing at the front adds as many spare days as the array holds (within the span),
    /// so days arriving in descending order cost amortised O(1) each, as appending does; the
    /// spare days never reach past `maximumSpan` either.
    private mutating func cover(_ day: Int) -> Bool {
        guard !dense.isEmpty else {
            first = day
            dense = [.zero]
            return true
        }
        let last = first + dense.count - 1
        let span = max(last, day) - min(first, day) + 1
        guard span <= Self.maximumSpan else { return false }
        if day > last {
            dense.append(contentsOf: repeatElement(.zero, count: day - last))
        } else {
            let spare = min(dense.count, Self.maximumSpan - span)
            let added = first - day + spare
            dense.insert(contentsOf: repeatElement(.zero, count: added), at: 0)
            first -= added
        }
        return true
    }
}
