import Foundation
import LakeTestSupport
import Testing

@Suite struct LedgerSegmentsTests {
    /// Bytes under `.lake/objects` and `.lake/packs`: what the lake's content costs.
    func storedBytes(_ w: CLIWorkspace) throws -> Int {
        var total = 0
        for dir in [".lake/objects", ".lake/packs"] {
            let root = w.dir.at(dir)
            for path in FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] {
                let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
                if attributes[.type] as? FileAttributeType == .typeRegular { total += (attributes[.size] as? Int) ?? 0 }
            }
        }
        return total
    }

    func lines(_ range: Range<Int>) -> String {
        range.map { "{\"id\":\($0),\"text\":\"\(String(repeating: "x", count: 90))\"}\n" }.joined()
    }

    @Test func aLedgerOfManyVersionsCostsAboutItsFinalSize() throws {
        let w = try CLIWorkspace()
        // 3 MB to start, then four appends of 0.5 MB and 1.2 MB (small and loose tails).
        var text = lines(0 ..< 30_000)
        var versions = [text]
        w.dir.write("ledger/passed.jsonl", text)
        #expect(try w.lake("commit", "ledger", "--dataset", "corpus/_ledger", "--kind", "ledger").status == 0)
        for (n, more) in [5_000, 12_000, 5_000, 12_000].enumerated() {
            let start = 30_000 + n * 20_000
            text += lines(start ..< start + more)
            versions.append(text)
            w.dir.write("ledger/passed.jsonl", text)
            let r = try w.lake("commit", "ledger", "--dataset", "corpus/_ledger")
            #expect(r.status == 0, "\(r.stderr)")
        }
        let final = text.utf8.count
        let sumOfVersions = versions.reduce(0) { $0 + $1.utf8.count }
        let stored = try storedBytes(w)
        #expect(stored < final + final / 10, "stored \(stored) bytes for a \(final)-byte ledger (its versions sum to \(sumOfVersions))")

        // Every version reads back byte for byte, and the lake verifies.
        for (i, expected) in versions.enumerated() {
            let cat = try w.lake("cat", "corpus/_ledger@\(i + 1):passed.jsonl")
            #expect(cat.status == 0 && cat.stdoutData == Data(expected.utf8), "version \(i + 1)")
        }
        #expect(try w.lake("fsck").status == 0)
        let log = try w.lake("log", "corpus/_ledger")
        #expect(log.stdout.split(separator: "\n").first { $0.hasPrefix("@5") }?.contains("+12000") == true, "\(log.stdout)")

        // A checkout and a query table read the segments like any file.
        #expect(try w.lake("checkout", "corpus/_ledger@4", "out").status == 0)
        #expect(try String(contentsOfFile: w.dir.at("out/passed.jsonl"), encoding: .utf8) == versions[3])
        let count = try w.lake(["query", "--table", "l=corpus/_ledger@3", "--format", "csv", "SELECT count(*), max(id) FROM l"])
        #expect(count.stdout == "count(*),max(id)\n47000,61999\n", "\(count.stderr)")

        // Archiving and collecting the old versions keeps what the latest is made of.
        for v in 1 ... 4 { #expect(try w.lake("archive", "corpus/_ledger@\(v)").status == 0) }
        #expect(try w.lake("gc", "--grace", "0s").status == 0)
        #expect(try w.lake("cat", "corpus/_ledger@5:passed.jsonl").stdoutData == Data(versions[4].utf8))
        #expect(try w.lake("cat", "--restore", "corpus/_ledger@2:passed.jsonl").stdoutData == Data(versions[1].utf8))
        #expect(try w.lake("fsck").status == 0)
    }

    /// Two ledgers holding the same bytes: a version of one is a part of the other's segment
    /// list, and the other's later append must leave that part whole rather than make a list of
    /// it (a part that is a list is not read).
    @Test func aPartOfOneLedgersListStaysWholeWhenAnotherLedgerGrowsIntoIt() throws {
        let w = try CLIWorkspace()
        let (q, p, x) = (lines(0 ..< 11_000), lines(0 ..< 12_000), lines(0 ..< 13_000))
        w.dir.write("two/log.jsonl", q)
        #expect(try w.lake("commit", "two", "--dataset", "l2", "--kind", "ledger").status == 0)
        w.dir.write("one/log.jsonl", p)
        #expect(try w.lake("commit", "one", "--dataset", "l1", "--kind", "ledger").status == 0)
        w.dir.write("one/log.jsonl", x)
        #expect(try w.lake("commit", "one", "--dataset", "l1").status == 0, "l1@2 is stored as l1@1's bytes plus a tail")
        w.dir.write("two/log.jsonl", p)
        #expect(try w.lake("commit", "two", "--dataset", "l2").status == 0, "l2 grows into l1@1's bytes")
        for (target, text) in [("l1@1", p), ("l1@2", x), ("l2@1", q), ("l2@2", p)] {
            let cat = try w.lake("cat", target + ":log.jsonl")
            #expect(cat.status == 0 && cat.stdoutData == Data(text.utf8), "\(target): \(cat.stderr)")
        }
        #expect(try w.lake("fsck").status == 0)
    }

    /// Runs `commands` at once while the writer lock is held, until each has checked its
    /// append and waits for the lock to record it; then lets them go and returns their results.
    func atOnceUnderTheWriterLock(_ w: CLIWorkspace, _ commands: [[String]]) throws -> [LakeCLI.Result] {
        // (flock -o: the lock stays with flock, which the kill releases, not with its sleep.)
        let holder = try LakeCLI.start(["-o", ".lake/lock", "sleep", "60"], cwd: w.path, prefix: ["/usr/bin/flock"], replacingBinary: true)
        defer { holder.kill() }
        try #require(try w.sh("for i in $(seq 200); do flock -n .lake/lock true || exit 0; sleep 0.05; done; exit 1").status == 0)
        let running = try commands.map { try LakeCLI.start($0, cwd: w.path) }
        /// Whether the process has the writer lock's file open: it waits for the lock.
        func waitsForTheLock(_ c: LakeCLI.Running) -> Bool {
            let fds = "/proc/\(c.process.processIdentifier)/fd"
            return ((try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? []).contains {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + $0))?.hasSuffix("/.lake/lock") == true
            }
        }
        var waited = 0
        while !running.allSatisfy(waitsForTheLock), waited < 600 {
            usleep(50_000)
            waited += 1
        }
        #expect(running.allSatisfy(waitsForTheLock), "each command checked its append and waits to record it")
        holder.kill()
        return running.map { $0.wait() }
    }

    /// A lake whose ledger `l` has one version, and two trees `a2` and `b2` that each append
    /// to it, differently.
    func ledgerAndTwoAppends() throws -> CLIWorkspace {
        let w = try CLIWorkspace()
        let base = lines(0 ..< 10_000)
        w.dir.write("a/log.jsonl", base)
        #expect(try w.lake("commit", "a", "--dataset", "l", "--kind", "ledger").status == 0)
        for side in ["a2", "b2"] { w.dir.write(side + "/log.jsonl", base + lines(10_000 ..< 11_000) + side + "\n") }
        return w
    }

    /// Two appends to one ledger at once, both checked against version 1 before either is
    /// recorded: the first is recorded, and the second, checked again under the lock against
    /// version 2, is refused, rather than recorded as a version that does not start with the
    /// one before it.
    @Test func twoAppendsAtOnceDoNotBothBecomeVersions() throws {
        let w = try ledgerAndTwoAppends()
        let results = try atOnceUnderTheWriterLock(w, ["a2", "b2"].map { ["commit", $0, "--dataset", "l"] })
        #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map { "\($0.status): \($0.stderr)" })")
        #expect(results.contains { $0.status == 5 && $0.stderr.contains("only grows: against version 2") }, "\(results.map(\.stderr))")
        #expect(try w.lake("cat", "l@3:log.jsonl").status == 4, "no third version")
        #expect(try w.lake("fsck").status == 0)
    }

    /// The same for two runs whose ledger output appends to version 1: the run checked again
    /// under the lock is a failed run, kept to fix and resume, not a second version 2.
    @Test func twoRunsAppendingAtOnceDoNotBothBecomeVersions() throws {
        let w = try ledgerAndTwoAppends()
        let results = try atOnceUnderTheWriterLock(w, ["a2", "b2"].map {
            ["exec", "--out", "l=l:ledger", "--", "sh", "-c", "cp \"$0\" \"$LAKE_OUT_l/log.jsonl\"", w.dir.at($0 + "/log.jsonl")]
        })
        #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map { "\($0.status): \($0.stderr)" })")
        #expect(results.contains { $0.status == 1 && $0.stderr.contains("outputs refused") && $0.stderr.contains("only grows: against version 2") },
                "\(results.map(\.stderr))")
        #expect(try w.lake("cat", "l@3:log.jsonl").status == 4, "no third version")
        #expect(try w.lake("runs", "--status", "failed").stdout.contains("failed"))
        #expect(try w.lake("fsck").status == 0)
    }

    @Test func aDamagedSegmentListIsReportedNotServed() throws {
        let w = try CLIWorkspace()
        w.dir.write("ledger/l.jsonl", lines(0 ..< 12_000))
        #expect(try w.lake("commit", "ledger", "--dataset", "l", "--kind", "ledger").status == 0)
        w.dir.write("ledger/l.jsonl", lines(0 ..< 13_000))
        #expect(try w.lake("commit", "ledger", "--dataset", "l").status == 0)
        let lists = (FileManager.default.enumerator(atPath: w.dir.at(".lake/objects"))?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".segments") }
        #expect(lists.count == 1)
        let path = w.dir.at(".lake/objects/" + lists[0])
        chmod(path, 0o644)
        try Data("lake-segments v1\nsha256:nope 12\n".utf8).write(to: URL(fileURLWithPath: path))
        let cat = try w.lake("cat", "l@2:l.jsonl")
        #expect(cat.status == 6)
        #expect(cat.stdout.isEmpty)
        #expect(cat.stderr.contains("segment list"))
        #expect(try w.lake("fsck").status == 6)
    }
}
