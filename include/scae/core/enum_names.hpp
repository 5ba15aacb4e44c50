#pragma once
/// @file enum_names.hpp
/// @brief The one way an enum's values get names (in reports, model files and on the command
/// line) and are parsed back, with the "expected a, b or c" message, from one table per enum.

#include "scae/core/error.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace scae {

/// Each value of an enum with its name, in the order messages list them.
template <class E, std::size_t N>
using EnumNames = std::array<std::pair<E, std::string_view>, N>;

/// The name `names` gives `value` ("unknown" for a value not in the table, which a cast can make).
/// @param value the value to name
/// @param names the enum's table
/// @return the value's name.
template <class E, std::size_t N>
std::string enum_name(E value, const EnumNames<E, N>& names) {
    for (const auto& [v, name] : names)
        if (v == value) return std::string(name);
    return "unknown";
}

/// "a, b or c": the names of `names`, for messages.
/// @param names the enum's table
/// @return the names, in table order, for a message.
template <class E, std::size_t N>
std::string enum_choices(const EnumNames<E, N>& names) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) out += i + 1 == N ? " or " : ", ";
        out += names[i].second;
    }
    return out;
}

/// The value `names` calls `name`. Throws scae::Error "unknown WHAT 'NAME' (expected a, b or c)".
/// @param name the name to parse
/// @param names the enum's table
/// @param what what the enum is, for the message ("set score")
/// @return the value named `name`.
/// @throws Error when no value has that name.
template <class E, std::size_t N>
E enum_from_name(std::string_view name, const EnumNames<E, N>& names, std::string_view what) {
    for (const auto& [v, n] : names)
        if (n == name) return v;
    throw Error("unknown " + std::string(what) + " '" + std::string(name) + "' (expected " + enum_choices(names) + ")");
}

} // namespace scae
