#ifndef CCATALOGSQLITE_H
#define CCATALOGSQLITE_H

#include <sqlite3.h>

/// Stops `db` from checkpointing the WAL when it closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
/// `sqlite3_db_config` is variadic, which Swift cannot call. Returns an SQLite result code.
int lake_sqlite_no_checkpoint_on_close(sqlite3 *db);

/// Puts `db` in WAL mode with `synchronous = NORMAL`, as GRDB's `journalMode = .wal` does,
/// without GRDB's generic fetch (whose first use costs a command a millisecond of the Swift
/// runtime's type lookups). Returns SQLITE_OK, SQLITE_ERROR when SQLite kept another journal
/// mode, or the code of the statement that failed.
int lake_sqlite_use_wal(sqlite3 *db);

#endif
