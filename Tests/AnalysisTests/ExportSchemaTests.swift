import Foundation
import Testing

@testable import Analysis

/// docs/export-schema.md describes the tables as the code writes them.
struct ExportSchemaTests {
    static let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/export-schema.md")

    @Test func theDocumentListsEveryColumn() throws {
        let text = try String(contentsOf: Self.doc, encoding: .utf8)
        #expect(text.contains("It is **\(ExportSchema.version)** now"))
        for table in TableExport.Table.allCases {
            guard let section = text.range(of: "## `\(table.rawValue)`") else {
                Issue.record("no section for \(table)")
                continue
            }
            let rest = text[section.upperBound...]
            let body = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
            let rows = body.split(separator: "\n").filter { $0.hasPrefix("| `") }
            let columns = ExportSchema.columns(table)
            #expect(rows.count == columns.count, "\(table): \(rows.count) rows for \(columns.count) columns")
            for (row, column) in zip(rows, columns) {
                let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                #expect(cells[1] == "`\(column.name)`", "\(table): \(row)")
                #expect(cells[2] == column.type.rawValue, "\(table).\(column.name)")
                #expect(cells[3] == column.unit, "\(table).\(column.name)")
                #expect(cells[4] == (column.nullable ? "yes" : "no"), "\(table).\(column.name)")
            }
        }
    }

    /// Every table's header is its columns, in order.
    @Test func headersAreTheSchema() {
        for table in TableExport.Table.allCases {
            let header = TableExport(table: table, format: .csv).header()
            #expect(header == ExportSchema.columns(table).map(\.name).joined(separator: ",") + "\n")
        }
    }
}
