// The one main() of the scae_tests executable; each test_*.cpp only holds test cases.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
