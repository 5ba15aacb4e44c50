#pragma once
/// @file base64.hpp
/// @brief Base64 (RFC 4648, with padding) for storing raw little-endian floats in JSON.

#include "scae/core/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace scae::base64 {

/// Encodes bytes as base64 text.
/// @param bytes  the bytes to encode (`size` of them; may be null when size is 0).
/// @param size   number of bytes.
/// @return the text, padded with '=' to a multiple of 4 characters.
inline std::string encode(const std::uint8_t* bytes, std::size_t size) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::uint32_t chunk = std::uint32_t(bytes[i]) << 16 | (i + 1 < size ? std::uint32_t(bytes[i + 1]) << 8 : 0) |
                                    (i + 2 < size ? std::uint32_t(bytes[i + 2]) : 0);
        out += alphabet[chunk >> 18 & 63];
        out += alphabet[chunk >> 12 & 63];
        out += i + 1 < size ? alphabet[chunk >> 6 & 63] : '=';
        out += i + 2 < size ? alphabet[chunk & 63] : '=';
    }
    return out;
}

/// Decodes base64 text; throws scae::Error on a character outside the alphabet or bad padding.
/// @param text  base64 text, its length a multiple of 4.
/// @return the decoded bytes.
/// @throws Error when the length is not a multiple of 4, a character is outside the alphabet or padding is misplaced.
inline std::vector<std::uint8_t> decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4 != 0) throw Error("base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int padding = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++padding;
            } else if (padding > 0 || (v[k] = value(c)) < 0) {
                throw Error("base64: unexpected character at offset " + std::to_string(i + k));
            }
        }
        const std::uint32_t chunk = std::uint32_t(v[0]) << 18 | std::uint32_t(v[1]) << 12 | std::uint32_t(v[2]) << 6 | std::uint32_t(v[3]);
        out.push_back(std::uint8_t(chunk >> 16));
        if (padding < 2) out.push_back(std::uint8_t(chunk >> 8 & 255));
        if (padding < 1) out.push_back(std::uint8_t(chunk & 255));
    }
    return out;
}

} // namespace scae::base64
