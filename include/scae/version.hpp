#pragma once
/// @file version.hpp
/// @brief The library version, written into every model file.

/// scae's version as "MAJOR.MINOR.PATCH".
#define SCAE_VERSION "0.1.0"

namespace scae {
/// The library version as a string.
/// @return SCAE_VERSION, a static string
inline const char* version() { return SCAE_VERSION; }
} // namespace scae
