#ifndef CCATALOGSQLITE_H
#define CCATALOGSQLITE_H

#include <sqlite3.h>

/// Stops `db` from checkpointing the WAL when it closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
/// `sqlite3_db_config` is variadic, which Swift cannot call. Returns an SQLite result code.
int lake_sqlite_no_checkpoint_on_close(sqlite3 *db);

#endif
