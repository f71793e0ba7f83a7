// doctest runner for the opt-in interoperability tests (-DMSRP_INTEROP_TESTS=ON): they need a
// peer relay that CI does not run (scripts/interop-kamailio.sh starts one).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
