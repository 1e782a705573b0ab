-- Runs: one execution of a command or stage, its inputs and outputs. Lineage is the graph
-- snapshot -> run -> snapshot that run_inputs and run_outputs make.

CREATE TABLE runs (
    id            TEXT PRIMARY KEY CHECK (id GLOB 'run-*'),
    stage         TEXT,                 -- the pipeline stage; NULL for 'lake exec'
    status        TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cached')),
    run_key       TEXT,                 -- hash of command, params, inputs, code and environment
    argv          TEXT NOT NULL,        -- JSON array
    cwd           TEXT,                 -- where lake was started (the pipeline file's directory for stages)
    params        TEXT,                 -- JSON object
    environment   TEXT,                 -- JSON object of the declared names; secrets redacted
    code          TEXT,                 -- JSON object: declared code file -> its sha256
    code_version  TEXT,                 -- git commit of the caller's tree, '+dirty' when modified
    host          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    lake_version  TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
    exit_code     INTEGER,
    peak_rss_kb   INTEGER,
    stdout_object TEXT,
    stderr_object TEXT,
    attempt       INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    resumes       TEXT REFERENCES runs(id),   -- the failed run this attempt continued
    reuses        TEXT REFERENCES runs(id),   -- for 'cached': the run whose outputs were reused
    reproduces    TEXT REFERENCES runs(id),   -- for a reproduction: the original run
    message       TEXT
);
CREATE INDEX runs_by_stage ON runs(stage, started_at);
CREATE INDEX runs_by_key ON runs(run_key, status);

CREATE TABLE run_inputs (
    run_id        TEXT NOT NULL REFERENCES runs(id),
    name          TEXT NOT NULL,
    snapshot_id   TEXT NOT NULL REFERENCES snapshots(id),
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX run_inputs_by_snapshot ON run_inputs(snapshot_id);

CREATE TABLE run_outputs (
    run_id        TEXT NOT NULL REFERENCES runs(id),
    name          TEXT NOT NULL,
    dataset       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    snapshot_id   TEXT NOT NULL REFERENCES snapshots(id),
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX run_outputs_by_snapshot ON run_outputs(snapshot_id);

ALTER TABLE versions ADD COLUMN run_id TEXT REFERENCES runs(id);

-- One row per edge snapshot -> run -> snapshot.
CREATE VIEW lineage AS
SELECT i.snapshot_id AS input_snapshot, i.name AS input, i.run_id, r.stage,
       o.name AS output, o.dataset, o.version, o.snapshot_id AS output_snapshot
FROM run_inputs i JOIN run_outputs o ON o.run_id = i.run_id JOIN runs r ON r.id = i.run_id;
