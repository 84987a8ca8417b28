// main.cpp — doctest runner for the compiler unit tests (starts the collector
// first: pipeline tests compile and run programs).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "runtime/Value.h"

int main(int argc, char** argv) {
  borel::rt::gc_init();
  doctest::Context context(argc, argv);
  return context.run();
}
