#pragma once
/// @file version.hpp
/// @brief The library version, written into every model file, and the instruction set the
/// including program was compiled for.

/// scae's version as "MAJOR.MINOR.PATCH".
#define SCAE_VERSION "0.1.0"

namespace scae {
/// The library version as a string.
/// @return SCAE_VERSION, a static string
inline const char* version() { return SCAE_VERSION; }

/// The widest vector instruction set this translation unit was compiled for, which is the one
/// Eigen's kernels use. Models are bit-identical across thread counts for one instruction set,
/// not across them: AVX-512 and AVX2 kernels add in different orders (docs/tape.md).
/// @return "avx512", "avx2", "avx", "sse2", "neon" or "generic", a static string
inline const char* instruction_set() {
#if defined(__AVX512F__)
    return "avx512";
#elif defined(__AVX2__)
    return "avx2";
#elif defined(__AVX__)
    return "avx";
#elif defined(__SSE2__)
    return "sse2";
#elif defined(__ARM_NEON)
    return "neon";
#else
    return "generic";
#endif
}
} // namespace scae
