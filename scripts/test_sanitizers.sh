# Sourced by scripts/test.sh (uses its section, record, run_integration_test,
# BUILD, LOGS, TEST_TIMEOUT): builds an ASan+UBSan tree of its own
# ($BUILD-asan, gcc), then runs the Catch2 unit tests (one record) and a few
# integration tests (one record each, SANITIZE_TESTS, default
# "ping curl echo tcp_rst hostile_segments stop_tells_peers") against it. SANITIZE=0 skips it.
# The build is cut to fit CI's time on two cores: only unit_tests and
# tcpterm, at -O1 (what ASan's documentation suggests for reasonable speed,
# and gcc compiles it much faster than -O2), and no
# LTO (its whole-program link adds minutes and nothing to a check build).
# No -Werror either: under -fsanitize gcc 12 warns -Wmaybe-uninitialized
# inside libstdc++'s <regex> (included by Catch2), a known false positive;
# warnings are the main -Werror build's job.
#
# The sanitizer options, and why:
#   halt_on_error=1 (both): the first report stops the process, so a test
#     fails on it with the report in its log (UBSan would go on otherwise).
#   print_stacktrace=1 (UBSan): where, not only what.
#   verify_asan_link_order=0 (ASan): tests/integration/lib.sh starts
#     tcpterm through stdbuf, which LD_PRELOADs libstdbuf.so ahead of
#     libasan; ASan then refuses to start ("ASan runtime does not come first
#     in initial library list") although libstdbuf intercepts nothing of
#     ASan's.
# LeakSanitizer stays on: tcpterm and the unit tests free what they allocate
# by the time they exit (checked: no report on these tests). DPDK needs no
# setting of its own with --no-huge: its memory is anonymous mmap, which
# ASan treats as plain addressable memory (the Debian library is not built
# with ASan, so there is no per-object poisoning inside mbufs or rte_malloc)
# and which LeakSanitizer neither tracks nor reports.

section "sanitizers (ASan + UBSan build: unit tests, integration subset)"
if [[ "${SANITIZE:-1}" == 0 ]]; then
  echo "skipped (SANITIZE=0)"
else
  san_build="$BUILD-asan"
  san_start=$SECONDS
  if ! "$ROOT/scripts/build.sh" "$san_build" tests/unit/unit_tests app/tcpterm \
       -Db_sanitize=address,undefined -Db_lto=false -Doptimization=1 \
       >"$LOGS/asan-build.log" 2>&1; then
    tail -n 60 "$LOGS/asan-build.log"
    echo "FAIL asan-build"
    record FAIL asan-build
  else
    echo "built in $((SECONDS - san_start)) s"
    export ASAN_OPTIONS="halt_on_error=1:verify_asan_link_order=0"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    san_rc=0
    san_log="$LOGS/asan-unit.log"
    timeout -k 10 "$TEST_TIMEOUT" "$san_build/tests/unit/unit_tests" </dev/null >"$san_log" 2>&1 || san_rc=$?
    if ((san_rc == 0)); then
      echo "PASS asan-unit_tests ($(tail -n 2 "$san_log" | tr -s '\n' ' '))"
      record PASS asan-unit_tests
    else
      echo "FAIL asan-unit_tests (exit $san_rc); last lines of $san_log:"
      grep -a -E 'ERROR: AddressSanitizer|runtime error' "$san_log" | head -n 5 | sed 's/^/    /'
      tail -n 40 "$san_log" | sed 's/^/    /'
      record FAIL asan-unit_tests
    fi
    for name in ${SANITIZE_TESTS:-ping curl echo tcp_rst hostile_segments stop_tells_peers}; do
      run_integration_test "$ROOT/tests/integration/test_$name.sh" "$san_build" "asan-test_$name"
    done
    unset ASAN_OPTIONS UBSAN_OPTIONS
  fi
  echo "sanitizer section took $((SECONDS - san_start)) s"
fi
