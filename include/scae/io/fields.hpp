#pragma once
/// @file fields.hpp
/// @brief Splitting text lines into fields and parsing numbers with `std::from_chars`.

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace scae::io {

/// Removes the next token separated by spaces or tabs from the front of `rest` and returns it;
/// returns an empty view when only blanks are left.
inline std::string_view next_token(std::string_view& rest) {
    std::size_t begin = 0;
    while (begin < rest.size() && (rest[begin] == ' ' || rest[begin] == '\t')) ++begin;
    std::size_t end = begin;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t') ++end;
    const std::string_view token = rest.substr(begin, end - begin);
    rest.remove_prefix(end);
    return token;
}

/// Splits `line` at every `delimiter` into `fields` (cleared first); empty fields are kept, so
/// "a\t\tb" gives three fields.
inline void split(std::string_view line, char delimiter, std::vector<std::string_view>& fields) {
    fields.clear();
    for (;;) {
        const std::size_t stop = line.find(delimiter);
        fields.push_back(line.substr(0, stop));
        if (stop == std::string_view::npos) return;
        line.remove_prefix(stop + 1);
    }
}

/// Parses all of `text` as one number of type `N` (an integer or floating-point type); a leading
/// '+' is accepted. Returns false when `text` is anything else, including out of range for `N`.
/// Floating-point parsing accepts "nan" and "inf": callers reject non-finite values themselves so
/// that they can say so.
template <class N>
bool parse_number(std::string_view text, N& value) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    return ec == std::errc() && stop == end && !text.empty();
}

/// `text` in single quotes for an error message, cut to 60 characters so a binary or very long
/// line stays readable.
inline std::string in_quotes(std::string_view text) {
    constexpr std::size_t longest = 60;
    if (text.size() <= longest) return "'" + std::string(text) + "'";
    return "'" + std::string(text.substr(0, longest)) + "...'";
}

} // namespace scae::io
