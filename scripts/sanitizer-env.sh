# sanitizer-env.sh — the run-time options of the sanitized build (build-asan),
# sourced by scripts/test.sh and scripts/fuzz.sh. Why each is set:
#  detect_stack_use_after_return=0  Borel's values live on the Boehm collector's
#      heap, found from the machine stack; ASan's "fake stack" moves locals to
#      the heap, where the collector does not look, and live values would be
#      collected.
#  allocator_may_return_null=1  a huge request (repeat(4e9, ...)) must reach
#      Borel's out-of-memory error as std::bad_alloc, as in a normal build,
#      instead of ASan aborting the process.
#  use_sigaltstack=0  Borel's fault handler (tools/ProgramRunner.cpp) installs
#      its own alternate signal stack to report stack overflows; ASan's own
#      would be unmapped by ASan at thread exit after Borel replaced it, and
#      ASan aborts when that munmap fails.
#  abort_on_error=0, print_stacktrace=1  a report ends the process with exit
#      code 1 and a full stack; -fno-sanitize-recover makes UB reports fatal.
export ASAN_OPTIONS="detect_stack_use_after_return=0:allocator_may_return_null=1:use_sigaltstack=0:abort_on_error=0:${BOREL_EXTRA_ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
