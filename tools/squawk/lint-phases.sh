#!/usr/bin/env bash
# Lints every phase's SQL, up and down, as the migration worker's `script` prints it, with the pinned squawk.
# A finding fails unless the migration carries `-- squawk-ignore[-file] RULE -- reason` (MigrationBuilder.SquawkIgnore).
set -euo pipefail
cd "$(dirname "$0")/../.."
squawk=tools/squawk/node_modules/.bin/squawk
[ -x "$squawk" ] || npm install --prefix tools/squawk --no-audit --no-fund >/dev/null
worker=SmarterFirms.MigrationWorker/bin/${CONFIGURATION:-Debug}/net10.0/SmarterFirms.MigrationWorker.dll
[ -f "$worker" ] || dotnet build SmarterFirms.MigrationWorker -c "${CONFIGURATION:-Debug}" >/dev/null
# `script --from A --to B` never connects: any connection string will do.
export ConnectionStrings__authdb="Host=127.0.0.1;Port=1;Database=squawk;Username=none"
mapfile -t phases < <(ls SmarterFirms.MigrationWorker/Migrations/ | grep -E '^[0-9]+_.*\.cs$' | grep -v Designer | sed -E 's/^[0-9]+_(.*)\.cs$/\1/')
out=$(mktemp -d)
for ((i = 1; i < ${#phases[@]}; i++)); do
  dotnet "$worker" script --from "${phases[i-1]}" --to "${phases[i]}" > "$out/up-${phases[i]}.sql" 2>/dev/null
  dotnet "$worker" script --from "${phases[i]}" --to "${phases[i-1]}" > "$out/down-${phases[i]}.sql" 2>/dev/null
done
status=0
"$squawk" --reporter gcc --pg-version 15 "$out"/*.sql || status=$?
echo "squawk $("$squawk" --version | awk '{print $2}'): $(ls "$out" | wc -l) scripts linted, exit $status"
rm -rf "$out"
exit "$status"
