// libFuzzer harness: tenx (see targets.hpp). Built and run by .ci/run:
//   clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -I include tests/fuzz/fuzz_tenx.cpp -lz
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    scae_fuzz::targets().at("tenx")(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
