extension BinaryInteger {
    /// The number's digits in `radix` (lowercase), zeros in front up to `width`: what `%0Nd` and
    /// `%0Nx` print. `String(format:)` goes through CoreFoundation, whose first use in a process
    /// cost 1.7M instructions, 4% of a commit of one changed file.
    public func zeroPadded(_ width: Int, radix: Int = 10) -> String {
        let digits = String(self, radix: radix)
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
