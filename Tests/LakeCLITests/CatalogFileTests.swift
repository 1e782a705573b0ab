import Foundation
import LakeTestSupport
import Testing

/// What commands leave of the catalog's files: the WAL is persistent, reads do not write, and
/// after a write `catalog.sqlite` alone holds everything.
@Suite struct CatalogFileTests {
    func modified(_ path: String) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }

    @Test func aReadWritesNothingAndAfterACommitTheDatabaseFileAloneIsWhole() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 3)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        w.makeRun("run", rows: 4)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        let database = w.dir.at(".lake/catalog.sqlite")
        // A checkpoint at every close rewrote catalog.sqlite after each read, with its fsyncs.
        let before = try (modified(database), modified(database + "-wal"))
        Thread.sleep(forTimeInterval: 0.05)
        for args in [["log", "d"], ["ls"], ["show", "d@2"], ["commit", "run", "--dataset", "d"]] {
            let r = try w.lake(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        #expect(try (modified(database), modified(database + "-wal")) == before, "reads and a no-op commit wrote to the catalog")
        // A copy of catalog.sqlite without its -wal file holds the second version.
        let copy = TempDirectory()
        try FileManager.default.copyItem(atPath: database, toPath: copy.at("catalog.sqlite"))
        #expect(try CatalogDump.dump(copy.at("catalog.sqlite")).contains("\"d\""))
        #expect(try CatalogDump.dump(copy.at("catalog.sqlite")) == CatalogDump.dump(database))
    }
}
