#pragma once
/// @file values.hpp
/// @brief Parsing and checking one value of a count file: the rules every count reader shares.

#include "scae/io/count_matrix.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace scae::io {

/// Parses one value `token` of the current line of `reader` as T.
///
/// `field` is what the file declares: `integer` files must hold whole numbers. Every value must
/// be finite, non-negative unless `options.allow_negative`, and whole when
/// `options.require_counts`. `integer_values` is cleared at the first fractional value.
/// Throws Error naming the file, the line, the token and what was expected.
namespace detail {

/// True when `token` is a number too large (or too close to zero) for a double, such as 1e309:
/// std::from_chars reports those as out of range rather than as malformed.
inline bool out_of_double_range(std::string_view token) {
    if (!token.empty() && token[0] == '+') token.remove_prefix(1);
    double ignored = 0;
    const auto [stop, ec] = std::from_chars(token.data(), token.data() + token.size(), ignored);
    return ec == std::errc::result_out_of_range && stop == token.data() + token.size();
}

/// True when `token` is all decimal digits, with an optional sign.
inline bool is_decimal_integer(std::string_view token) {
    if (!token.empty() && (token[0] == '+' || token[0] == '-')) token.remove_prefix(1);
    return !token.empty() && token.find_first_not_of("0123456789") == std::string_view::npos;
}

/// The message for a number that parse_number() refused: an overflow is named as one.
inline std::string unparsed_number(std::string_view token, const char* expected) {
    if (out_of_double_range(token))
        return "found " + in_quotes(token) + ", which overflows a double (largest about 1.8e308) or is too close to zero for one; expected " +
               expected;
    return "found " + in_quotes(token) + ", expected " + expected;
}

} // namespace detail

/// Parses one matrix value `token` of `field` type at the current line of `reader`: refused with
/// the file and line when it is no number, out of range or not allowed by `options` (negative);
/// clears `integer_values` when the value has a fraction.
/// @param token           the value's text.
/// @param field           the value type the file declares.
/// @param options         allow_negative and require_counts are used.
/// @param reader          the reader whose current line holds `token`, for messages.
/// @param integer_values  cleared at a value with a fraction; never set.
/// @return the value.
/// @throws Error naming the file, the line and the token when the value is refused.
template <class T>
T parse_value(std::string_view token, Field field, const ReadOptions& options, const LineReader& reader,
              bool& integer_values) {
    unsigned long long digits = 0;
    if (field == Field::integer && parse_digits(token, digits) &&
        static_cast<double>(digits) <= static_cast<double>(std::numeric_limits<T>::max()))
        return static_cast<T>(digits);
    double value = 0;
    if (field == Field::integer) {
        long long whole = 0;
        if (!parse_number(token, whole)) {
            if (detail::is_decimal_integer(token))
                reader.fail("found the integer " + in_quotes(token) + ", which is larger than " +
                            std::to_string(std::numeric_limits<long long>::max()) + ", the largest integer count scae reads");
            if (detail::out_of_double_range(token))
                reader.fail(detail::unparsed_number(token, "an integer value (the banner says 'integer')"));
            if (!parse_number(token, value))
                reader.fail("found " + in_quotes(token) + ", expected an integer value (the banner says 'integer')");
            if (!std::isfinite(value)) reader.fail("found " + in_quotes(token) + ", expected a finite integer value");
            reader.fail("found the non-integer value " + in_quotes(token) +
                        ", expected a whole number (the banner says 'integer')");
        }
        value = static_cast<double>(whole);
    } else {
        if (!parse_number(token, value)) reader.fail(detail::unparsed_number(token, "a number"));
        if (!std::isfinite(value)) reader.fail("found " + in_quotes(token) + ", expected a finite number");
        if (integer_values && value != std::trunc(value)) {
            if (options.require_counts)
                reader.fail("found the non-integer value " + in_quotes(token) +
                            ", expected a whole-number count (ReadOptions::require_counts)");
            integer_values = false;
        }
    }
    if (value < 0 && !options.allow_negative)
        reader.fail("found the negative value " + in_quotes(token) +
                    ", expected a count >= 0 (ReadOptions::allow_negative accepts negative values)");
    if (std::abs(value) > static_cast<double>(std::numeric_limits<T>::max()))
        reader.fail("found " + in_quotes(token) + ", which is too large for the value type; expected at most " +
                    std::to_string(std::numeric_limits<T>::max()));
    return static_cast<T>(value);
}

} // namespace scae::io
