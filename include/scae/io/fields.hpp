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
/// @param rest  the text left; the token and the blanks before it are removed from its front.
/// @return the token, a view into the text of `rest`.
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
/// @param line       the text to split.
/// @param delimiter  the field separator.
/// @param fields     views into `line`'s text, one per field; cleared first.
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
/// @param text   the text to parse, without surrounding blanks.
/// @param value  set to the number on success.
/// @return whether all of `text` was one number in range.
template <class N>
bool parse_number(std::string_view text, N& value) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    return ec == std::errc() && stop == end && !text.empty();
}

/// Parses all of `text` as unsigned decimal digits: the fast path for indices and integer
/// counts, several times quicker than `std::from_chars`. Returns false for anything else (a
/// sign, an empty field, more than 18 digits), after which callers try parse_number().
/// @param text   the text to parse.
/// @param value  set to the number on success, left alone otherwise.
/// @return whether `text` was 1 to 18 decimal digits.
inline bool parse_digits(std::string_view text, unsigned long long& value) {
    if (text.empty() || text.size() > 18) return false;
    unsigned long long number = 0;
    for (const char c : text) {
        const unsigned digit = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
        if (digit > 9) return false;
        number = number * 10 + digit;
    }
    value = number;
    return true;
}

/// `text` in single quotes for an error message, cut to 60 characters so a binary or very long
/// line stays readable.
/// @param text  the text to quote.
/// @return `text` in single quotes, with "..." after the first 60 characters of a longer one.
inline std::string in_quotes(std::string_view text) {
    constexpr std::size_t longest = 60;
    if (text.size() <= longest) return "'" + std::string(text) + "'";
    return "'" + std::string(text.substr(0, longest)) + "...'";
}

} // namespace scae::io
