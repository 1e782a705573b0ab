#include "CCatalogSQLite.h"

int lake_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

int lake_sqlite_use_wal(sqlite3 *db) {
    sqlite3_stmt *statement;
    int code = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &statement, 0);
    if (code != SQLITE_OK) return code;
    code = sqlite3_step(statement);
    const unsigned char *mode = code == SQLITE_ROW ? sqlite3_column_text(statement, 0) : 0;
    int wal = mode != 0 && sqlite3_stricmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(statement);
    if (code != SQLITE_ROW) return code == SQLITE_DONE ? SQLITE_ERROR : code;
    if (!wal) return SQLITE_ERROR;
    return sqlite3_exec(db, "PRAGMA synchronous = NORMAL", 0, 0, 0);
}
