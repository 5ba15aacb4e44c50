#pragma once
/// @file hdf5_signature.hpp
/// @brief Tells an HDF5 file from its content, without the HDF5 library: the 8-byte signature
/// at offset 0 or, after a user block, at 512, 1024, 2048, ... bytes.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace scae::io {

/// True when the file at `path` starts with the HDF5 signature at offset 0, 512, 1024, 2048, ...
/// (the HDF5 specification's search positions for a file with a user block). False for a
/// directory, an unreadable file or any other content; never throws.
/// @param path  the file to look at.
/// @return whether the HDF5 signature was found.
inline bool is_hdf5_file(const std::string& path) {
    static constexpr unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 8) return false;
    char found[8];
    for (std::streamoff offset = 0; offset + 8 <= size; offset = offset == 0 ? 512 : offset * 2) {
        in.seekg(offset);
        if (!in.read(found, 8)) return false;
        if (std::memcmp(found, signature, 8) == 0) return true;
    }
    return false;
}

/// What a build without HDF5 says for an HDF5 input: the file, the format and how to rebuild.
/// @param path  the HDF5 input.
/// @return the message.
inline std::string hdf5_missing_message(const std::string& path) {
    return path + ": this is an HDF5 file (Cell Ranger .h5 or AnnData .h5ad) but scae was built without HDF5; "
                  "install libhdf5-dev and reconfigure scae (cmake -B build -DSCAE_WITH_HDF5=ON), "
                  "or convert the file to a 10x directory (matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz)";
}

} // namespace scae::io
