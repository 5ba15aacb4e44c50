#pragma once
/// @file symbols.hpp
/// @brief Case folding of gene symbols, so that human (CD3E) and mouse (Cd3e) spellings meet.

#include <string>

namespace scae::data {

/// Returns `symbol` with its ASCII letters upper-cased; other bytes are kept unchanged.
/// Symbols are compared in this folded form wherever matching is case-insensitive.
/// @param symbol  the symbol, taken by copy
/// @return the folded symbol
inline std::string fold_symbol(std::string symbol) {
    for (char& c : symbol) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return symbol;
}

} // namespace scae::data
