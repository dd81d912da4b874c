/// A small direct-mapped cache from short byte strings (at most 23 bytes, such as region codes and
/// instance IDs) to values made from them, so a value seen before costs no allocation or validation.
///
/// Each key has one slot; a new key takes the slot over. No general-purpose hashing: the bytes are
/// packed into three words and mixed with multiplications.
struct ShortByteStringCache<Value: Sendable>: Sendable {
    private var keys: [Key]
    private var values: [Value?]
    private let shift: UInt64

    /// A cache with `2^bits` slots, allocated on first store.
    init(bits: Int) {
        precondition((1...20).contains(bits))
        keys = []
        values = []
        shift = UInt64(64 - bits)
    }

    /// The value stored for `bytes`, or the one `make` returns (stored when not `nil`).
    @inline(__always)
    mutating func value(for bytes: UnsafeBufferPointer<UInt8>, make: (UnsafeBufferPointer<UInt8>) -> Value?) -> Value? {
        guard let key = Key(bytes) else { return make(bytes) }
        let slot = Int(truncatingIfNeeded: key.mixed &>> shift)
        if !keys.isEmpty, keys[slot] == key, let value = values[slot] {
            return value
        }
        guard let value = make(bytes) else { return nil }
        if keys.isEmpty {
            keys = Array(repeating: Key(), count: 1 << (64 - shift))
            values = Array(repeating: nil, count: 1 << (64 - shift))
        }
        keys[slot] = key
        values[slot] = value
        return value
    }

    /// Up to 23 bytes and their count packed into three words: an exact key.
    private struct Key: Equatable, Sendable {
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)

        init() {}

        @inline(__always)
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            let count = bytes.count
            guard count <= 23 else { return nil }
            var packed: (UInt64, UInt64, UInt64) = (0, 0, UInt64(count) &<< 56)
            for index in 0..<count {
                let byte = UInt64(bytes[index])
                let shift = UInt64(8 &* (index & 7))
                switch index &>> 3 {
                case 0: packed.0 |= byte &<< shift
                case 1: packed.1 |= byte &<< shift
                default: packed.2 |= byte &<< shift
                }
            }
            words = packed
        }

        /// 64 well-mixed bits; the slot is the top ones.
        @inline(__always)
        var mixed: UInt64 {
            (words.0 &* 0x9E37_79B9_7F4A_7C15) ^ (words.1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (words.2 &* 0x1656_67B1_9E37_79F9)
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
        }
    }
}
