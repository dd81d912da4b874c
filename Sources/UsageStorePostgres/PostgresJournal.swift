/// The PostgreSQL store's write path: a group commit of pings is one call of
/// `usage_journal_append` (migration 005, `Migrations/2026-12-03-005-ping-journal.sql`), a multi-row INSERT into
/// `ping_journal` acknowledged once committed; a fold applies the journal to the rows and
/// rollups behind the acknowledgement (``PostgresUsageStore/foldJournal()``).
///
/// Exactly once, with any number of collectors: a fold holds the rollup lock
/// (``PostgresRows/rollupLockKey``), deletes the oldest entries and applies them in one
/// transaction, so an entry is applied by the transaction that deletes it and by no other.
/// There is no watermark to fall behind: sequence numbers are taken at insert and committed in
/// any order, and a fold takes whatever is committed. Reports, merges, erasures and purges fold
/// first; a fold waits for one running elsewhere rather than skip its entries, so a report
/// counts every ping acknowledged before it started.
enum PostgresJournal {
    /// Journal entries applied per fold transaction, at most.
    static let foldBatch = 50_000
}
