// libFuzzer harness: cellranger_h5 (see targets.hpp). Built and run by .ci/run, with HDF5:
//   clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -I include -I /usr/include/hdf5/serial -DSCAE_HAVE_HDF5=1 \
//       tests/fuzz/fuzz_cellranger_h5.cpp -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -lz
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    scae_fuzz::targets().at("cellranger_h5")(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
