// doctest runner for the msrp-relay end-to-end tests (one ctest entry per *_test.cc file,
// selected with --source-file).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
