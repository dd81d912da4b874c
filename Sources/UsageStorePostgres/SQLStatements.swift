/// A migration file's statements, one at a time, as the extended query protocol takes them:
/// the text split at each `;` that ends a statement, not at one inside a quoted string, a quoted
/// name, a dollar-quoted body (`$$ … $$`, `$tag$ … $tag$`) or a comment.
enum SQLStatements {
    static func split(_ script: String) -> [String] {
        var statements: [String] = []
        var current: [Character] = []
        let characters = Array(script)
        var index = 0
        /// The closing `$tag$` of the dollar-quoted body we are in.
        var dollarTag: [Character]?
        func finish() {
            let text = String(current)
            current.removeAll()
            // A chunk of only comments and space (a file's header) is no statement.
            let meaningful = text.split(separator: "\n").contains { line in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                return !trimmed.isEmpty && !trimmed.hasPrefix("--")
            }
            if meaningful { statements.append(trimmed(text)) }
        }
        while index < characters.count {
            let character = characters[index]
            if let tag = dollarTag {
                if character == "$", Array(characters[index..<min(characters.count, index + tag.count)]) == tag {
                    current += tag
                    index += tag.count
                    dollarTag = nil
                } else {
                    current.append(character)
                    index += 1
                }
                continue
            }
            switch character {
            case "'", "\"":
                // Up to the closing quote; a doubled quote is one quote inside.
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    index += 1
                    if characters[index - 1] == character {
                        if index < characters.count, characters[index] == character {
                            current.append(character)
                            index += 1
                        } else {
                            break
                        }
                    }
                }
            case "-" where index + 1 < characters.count && characters[index + 1] == "-":
                while index < characters.count, characters[index] != "\n" {
                    current.append(characters[index])
                    index += 1
                }
            case "$":
                // `$tag$` opens a body when the tag is letters, digits and underscores (or empty).
                var end = index + 1
                while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
                if end < characters.count, characters[end] == "$", !(index + 1 < end && characters[index + 1].isNumber) {
                    let tag = Array(characters[index...end])
                    current += tag
                    index = end + 1
                    dollarTag = tag
                } else {
                    current.append(character)
                    index += 1
                }
            case ";":
                finish()
                index += 1
            default:
                current.append(character)
                index += 1
            }
        }
        finish()
        return statements
    }

    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
