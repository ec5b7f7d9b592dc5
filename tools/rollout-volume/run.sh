#!/usr/bin/env bash
# Rollout figures at volume (issue 13): each rollback trigger's time to detect and to roll back, a clean migrate, a
# rollback to baseline, and backup and restore, with the worker's own commands on a throwaway Postgres that holds
# USERS users (default 5,000,000) and FIRMS firms at the baseline phase. Prints a markdown table; run it alone on the
# machine. Usage: tools/rollout-volume/run.sh   (USERS=200000 for a quick run)
set -euo pipefail
USERS=${USERS:-5000000}
FIRMS=${FIRMS:-100000}
PORT=${PORT:-55439}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/rollout-volume}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi; }

rm -rf "$WORK" && mkdir -p "$WORK/backups" && chmod 777 "$WORK"
as_postgres "$BIN/initdb" -D "$WORK/data" -U postgres -A trust >/dev/null
as_postgres "$BIN/pg_ctl" -D "$WORK/data" -o "-p $PORT -k $WORK -c max_wal_size=4GB" -l "$WORK/postgres.log" -w start >/dev/null
trap 'as_postgres "$BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true' EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d authdb "$@"; }
psql -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE authdb"

dotnet build -c Release "$ROOT/SmarterFirms.MigrationWorker" -v q -nologo >/dev/null
WORKER="$ROOT/SmarterFirms.MigrationWorker/bin/Release/net10.0/SmarterFirms.MigrationWorker.dll"
export ConnectionStrings__authdb="Host=$WORK;Port=$PORT;Username=postgres;Database=authdb"
export DOTNET_ENVIRONMENT=Production Backup__Directory="$WORK/backups"
export Encryption__Local__MasterKey=$(openssl rand -base64 32)
export Audit__CheckpointKey=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -outform DER | base64 -w0)
worker() { echo "== worker $*" >>"$WORK/worker.log"; dotnet "$WORKER" "$@" >>"$WORK/worker.log" 2>&1; }
# Runs the worker, keeping its exit code for the table.
run() { rc=0; worker "$@" || rc=$?; }
# Every case starts at baseline, as a first rollout does.
reset() { worker rollback --to baseline; }
seconds() { local s=$(date +%s%N); "$@"; awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.1f", ns / 1e9 }'; }

worker migrate --to baseline
started=$(date +%s)
psql_ <<SQL
INSERT INTO firms (id, name, clio_account_id) SELECT gen_random_uuid(), 'Firm ' || n, n FROM generate_series(1, $FIRMS) n;
CREATE TEMP TABLE f AS SELECT row_number() OVER () AS n, id FROM firms;
INSERT INTO users (id, email, name, firm_id, role)
SELECT gen_random_uuid(), 'user' || g.n || '@volume.example', 'User ' || g.n, f.id, (ARRAY['OWNER','ADMIN','MEMBER']::firm_role[])[1 + g.n % 3]
FROM generate_series(1, $USERS) g(n) JOIN f ON f.n = 1 + g.n % $FIRMS;
VACUUM ANALYZE;
SQL
echo "Loaded $USERS users, $FIRMS firms at baseline in $(( $(date +%s) - started )) s ($(psql_ -tAc "SELECT pg_size_pretty(pg_database_size('authdb'))"))"

# The newest run's outcome, trigger, total and rollback seconds, from the worker's own record.
last_run() {
  psql_ -tA -F ' | ' -c "SELECT outcome, coalesce(trigger, '-'), round(extract(epoch FROM ended_at - started_at)::numeric, 1),
      round(coalesce((figures->>'RollbackSeconds')::numeric, 0), 1), ended_phase FROM rollout.migration_runs ORDER BY id DESC LIMIT 1"
}
ROWS=()
record() { ROWS+=("| $1 | exit $rc | $(last_run) |"); }

# 1. A lock held by another session: the phase's lock_timeout expires on every retry.
psql -X -h "$WORK" -p "$PORT" -U postgres -d authdb -c "BEGIN; LOCK TABLE users IN ACCESS SHARE MODE; SELECT pg_sleep(3600);" >/dev/null 2>&1 &
holder=$!
sleep 1
run migrate
kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true
psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3600)%' AND pid <> pg_backend_pid()" >/dev/null
record "lock held by another session"

# 2. A phase past Rollout:MaxPhaseDuration (MAX_PHASE; phase 1 at 5M users takes longer than the default 1 s).
reset
Rollout__MaxPhaseDuration=${MAX_PHASE:-00:00:01} run migrate
record "phase past Rollout:MaxPhaseDuration ${MAX_PHASE:-00:00:01}"

# 3. A hot statement that no longer uses its index (ix_users_email dropped: the sign-in lookup scans users).
reset
psql_ -c "DROP INDEX ix_users_email"
run migrate
record "ix_users_email dropped"
psql_ -c "CREATE UNIQUE INDEX ix_users_email ON users (email)"

# 4. A verification that fails after the last phase (the app role owns a stray table).
reset
psql_ -c "CREATE TABLE public.stray (id int)"
psql_ -c "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'smarterfirms_app') THEN ALTER TABLE public.stray OWNER TO smarterfirms_app; END IF; END \$\$"
run migrate
record "the app role owns a stray table"
psql_ -c "DROP TABLE public.stray"

# 5. A clean migrate to the latest phase, then back to baseline (phase 2/3 tables are empty here: nothing to archive).
reset
run migrate
record "clean migrate"
run rollback --to baseline
record "rollback --to baseline"

# 6. Backup (checked with pg_restore --list) and restore over the same database.
before=$(psql_ -tAc "SELECT count(*) || ' users, ' || (SELECT count(*) FROM firms) || ' firms' FROM users")
backup_s=$(seconds worker backup)
dump=$(ls -t "$WORK"/backups/*.dump | head -1)
psql_ -c "DELETE FROM users WHERE ctid IN (SELECT ctid FROM users LIMIT 1000)" >/dev/null
restore_s=$(seconds worker restore --backup latest --force)
after=$(psql_ -tAc "SELECT count(*) || ' users, ' || (SELECT count(*) FROM firms) || ' firms' FROM users")

echo
echo "Rollout at volume: $USERS users, $FIRMS firms ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| case | worker | outcome | trigger | run s | of which rollback s | ended at phase |"
echo "|---|---|---|---|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Backup: $backup_s s, $(du -h "$dump" | cut -f1) ($(basename "$dump")); restore --force: $restore_s s"
echo "Before the damage: $before; after the restore: $after"
echo "Worker log: $WORK/worker.log"
