# Sourced by scripts/test.sh (uses its section, record, BUILD and LOGS): runs
# scripts/fuzz.sh (build dir $BUILD-fuzz, FUZZ_SECONDS per target, default
# 20) and records one PASS/FAIL per fuzz target. FUZZ=0 skips it.

section "fuzzing (scripts/fuzz.sh, ${FUZZ_SECONDS:-20} s per target)"
if [[ "${FUZZ:-1}" == 0 ]]; then
  echo "skipped (FUZZ=0)"
else
  fuzz_records=0
  fuzz_start=$SECONDS
  while IFS= read -r line; do
    echo "$line"
    case "$line" in
      "PASS fuzz_"* | "FAIL fuzz_"*)
        name=${line#* }
        record "${line%% *}" "${name%% *}"
        fuzz_records=$((fuzz_records + 1))
        ;;
    esac
  done < <(JOBS=${JOBS:-1} "$ROOT/scripts/fuzz.sh" "$BUILD-fuzz" 2>&1 || true)
  # fuzz.sh reports every target, even when its build fails; nothing at all
  # means the script itself broke.
  ((fuzz_records > 0)) || { echo "FAIL fuzz: scripts/fuzz.sh reported no target"; record FAIL fuzz; }
  echo "fuzzing took $((SECONDS - fuzz_start)) s"
fi
