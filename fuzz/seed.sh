#!/usr/bin/env bash
# Seeds the fuzz corpora from the recorded captures in ../corpus (bodies inflated when gzip).
# JSON bodies are trimmed (every list to its first two elements, strings to 200 characters)
# so seeds stay under the -max_len the README uses: small inputs keep executions fast, and
# every shape of every vendor is still there. The corpora are not committed: they grow
# while fuzzing and are rebuilt by this script.
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/decode_json corpus/decode_protobuf corpus/gunzip corpus/collector_request corpus/stored_body
n=0
while IFS= read -r -d '' file; do
  n=$((n + 1))
  name=$(printf '%05d' "$n")
  case "$file" in
    *.gz) body=$(mktemp); gzip -dc "$file" > "$body"; cp "$file" "corpus/gunzip/$name" ;;
    *) body="$file" ;;
  esac
  case "$file" in
    *-logs.*) signal=0 ;; *-metrics.*) signal=1 ;; *) signal=2 ;;
  esac
  case "$file" in
    *.json|*.json.gz)
      python3 -c 'import json,sys
def trim(v):
    if isinstance(v, list): return [trim(x) for x in v[:2]]
    if isinstance(v, dict): return {k: trim(x) for k, x in v.items()}
    if isinstance(v, str): return v[:200]
    return v
sys.stdout.write(json.dumps(trim(json.load(open(sys.argv[1], encoding="utf-8-sig"))), separators=(",", ":")))' "$body" > "corpus/decode_json/$name"
      trimmed=$(mktemp --suffix=.trimmed); cp "corpus/decode_json/$name" "$trimmed"; [ "$body" = "$file" ] || rm -f "$body"; body="$trimmed"; type=0 ;;
    *) cp "$body" "corpus/decode_protobuf/$name"; type=1 ;;
  esac
  # collector_request: one selector byte (signal + 3 * content type), then the body.
  { printf "\\$(printf '%03o' $((signal + 3 * type)))"; cat "$body"; } > "corpus/collector_request/$name"
  # stored_body: the body as the collector would store it, to pack and unpack (any bytes are
  # also tried as a packed row).
  cp "$body" "corpus/stored_body/$name"
  case "$body" in *.trimmed) rm -f "$body" ;; *) [ "$body" = "$file" ] || rm -f "$body" ;; esac
done < <(find ../corpus -type f \( -name '*.json' -o -name '*.pb' -o -name '*.json.gz' -o -name '*.pb.gz' \) ! -name '*.headers.json' -print0 | sort -z)
head -c 4096 corpus/decode_json/00001 | gzip > corpus/gunzip/from_json 2>/dev/null || true
echo "seeded $n bodies"
