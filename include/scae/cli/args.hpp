#pragma once
/// @file args.hpp
/// @brief Strict long-option parsing shared by every `scae` subcommand.
///
/// Accepts `--name value`, `--name=value` and bare flags (`--native`). Everything else is refused
/// before any work, as a UsageError (exit code 2): unknown options, single-dash options
/// (`-epochs`), stray words, an option given twice, a missing or empty value, and a value that is
/// itself an option (`--out --epochs`). Numbers are parsed exactly: integers are decimal digits
/// only (no `0x10`, `1e3` or `50.5`, no silent wrap-around of `4294967297`), reals are finite, and
/// the typed getters check a documented range. An option that names one value of an enum is read
/// by Args::choice() from the enum's EnumNames table, so a bad name is a UsageError too.

#include "scae/core/enum_names.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace scae::cli {

/// Exit codes of the command line.
enum Exit : int { ok = 0, runtime_error = 1, usage_error = 2 };

/// Thrown for a bad command line; the driver prints it with the usage text and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// `v` as text without trailing zeros ("0.001", "1e+06").
inline std::string number_text(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

/// True when `text` parses in full as a (possibly negative) real number: a value such as
/// `-0.5` is a value, not an option.
inline bool looks_numeric(std::string_view text) {
    double v = 0;
    const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return !text.empty() && stop == text.data() + text.size() && ec != std::errc::invalid_argument;
}

} // namespace detail

/// Parses all of `text` as a whole number in [min, max]; `what` names it in messages ("option
/// --epochs", "--genes hvg:N"). Only decimal digits with an optional leading '-' are accepted.
/// @param text  the whole text to parse (a leading '+', spaces or a fraction are refused)
/// @param what  names the value in messages
/// @param min  smallest value accepted
/// @param max  largest value accepted
/// @return the value, in [min, max]
/// @throws UsageError when `text` is not decimal digits, overflows long long, or is out of range
inline long long parse_integer(const std::string& text, const std::string& what, long long min, long long max) {
    const std::string range = std::to_string(min) + ".." + std::to_string(max);
    const char* begin = text.data();
    const char* end = begin + text.size();
    const bool digits = !text.empty() && text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos &&
                        text != "-";
    if (!digits)
        throw UsageError(what + " expects a whole number in " + range + " (decimal digits only), got '" + text + "'");
    long long v = 0;
    const auto [stop, ec] = std::from_chars(begin, end, v);
    if (ec == std::errc::result_out_of_range)
        throw UsageError(what + " expects a whole number in " + range + ", got '" + text + "', which is " +
                         (text[0] == '-' ? "below " + std::to_string(std::numeric_limits<long long>::min())
                                         : "above " + std::to_string(std::numeric_limits<long long>::max())));
    if (ec != std::errc() || stop != end)
        throw UsageError(what + " expects a whole number in " + range + " (decimal digits only), got '" + text + "'");
    if (v < min || v > max) throw UsageError(what + " expects a whole number in " + range + ", got " + text);
    return v;
}

/// Parses all of `text` as a finite real number in [min, max]; `what` names it in messages.
/// @param text  the whole text to parse
/// @param what  names the value in messages
/// @param min  smallest value accepted (default: the lowest finite double)
/// @param max  largest value accepted (default: the largest finite double)
/// @return the value, finite and in [min, max]
/// @throws UsageError when `text` is not a number, over- or underflows a double, is not finite,
/// or is out of range
inline double parse_real(const std::string& text, const std::string& what, double min = -std::numeric_limits<double>::max(),
                         double max = std::numeric_limits<double>::max()) {
    const std::string range = "[" + detail::number_text(min) + ", " + detail::number_text(max) + "]";
    double v = 0;
    const char* begin = text.data();
    const char* end = begin + text.size();
    const auto [stop, ec] = std::from_chars(begin, end, v);
    if (text.empty() || stop != end || ec == std::errc::invalid_argument)
        throw UsageError(what + " expects a number, got '" + text + "'");
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves v unset here; strtod tells overflow (HUGE_VAL) from underflow (0).
        const double probe = std::strtod(text.c_str(), nullptr);
        throw UsageError(what + " expects a number in " + range + ", got '" + text + "', which " +
                         (std::isinf(probe) ? "overflows a double (largest about 1.8e308)"
                                            : "is too close to zero for a double (smallest about 2.2e-308)"));
    }
    if (!std::isfinite(v)) throw UsageError(what + " expects a finite number, got '" + text + "'");
    if (v < min || v > max) throw UsageError(what + " expects a number in " + range + ", got " + text);
    return v;
}

/// The most OpenMP threads a command accepts: the hardware threads of this machine. More only
/// oversubscribe the cores (and thousands make libgomp fail to create them).
/// @return the hardware threads (omp_get_num_procs() with OpenMP), or 1024 where unknown
inline int max_threads() {
#ifdef _OPENMP
    const int procs = omp_get_num_procs();
#else
    const int procs = int(std::thread::hardware_concurrency());
#endif
    return procs > 0 ? procs : 1024;
}

/// Parsed options of one subcommand.
class Args {
public:
    /// Parses `args` (without the program and subcommand names). `valued` lists options that
    /// take a value, `flags` those that do not; `max_positional` is how many bare words (such as
    /// inspect's PATH) the command takes (default none: a stray word is refused).
    /// @param args  the words after the subcommand, as given
    /// @param valued  names (without "--") of options that take a value
    /// @param flags  names of options that take no value (stored as "1" when given)
    /// @param max_positional  how many bare words are accepted
    /// @throws UsageError for anything the file comment lists as refused
    Args(const std::vector<std::string>& args, const std::set<std::string>& valued, const std::set<std::string>& flags = {},
         std::size_t max_positional = 0) {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--") throw UsageError("found a bare '--', expected options of the form --name");
            if (a.rfind("--", 0) != 0) {
                if (a.size() > 1 && a[0] == '-' && !detail::looks_numeric(a))
                    throw UsageError("unknown option " + a + " (options start with two dashes: -" + a + ")");
                if (positional_.size() == max_positional)
                    throw UsageError("unexpected argument '" + a + "'" +
                                     (max_positional == 0 ? std::string(": this command takes options only")
                                                          : ": expected at most " + std::to_string(max_positional)) +
                                     (i > 0 && args[i - 1].rfind("--", 0) == 0 && flags.count(args[i - 1].substr(2))
                                          ? " (" + args[i - 1] + " takes no value)"
                                          : ""));
                positional_.push_back(a);
                continue;
            }
            std::string name = a.substr(2), value;
            const auto eq = name.find('=');
            const bool inline_value = eq != std::string::npos;
            if (inline_value) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (values_.count(name)) throw UsageError("option --" + name + " is given twice, expected it once");
            if (flags.count(name)) {
                if (inline_value) throw UsageError("option --" + name + " takes no value");
                values_[name] = "1";
            } else if (valued.count(name)) {
                if (!inline_value) {
                    if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
                    value = args[++i];
                    if (value.size() > 1 && value[0] == '-' && !detail::looks_numeric(value))
                        throw UsageError("option --" + name + " needs a value, found the option " + value +
                                         " (write --" + name + "=" + value + " if that is the value meant)");
                }
                if (value.empty()) throw UsageError("option --" + name + " needs a non-empty value");
                values_[name] = value;
            } else {
                throw UsageError("unknown option --" + name);
            }
        }
    }

    /// True when the option or flag was given.
    /// @param name  option name without "--"
    /// @return true when `--name` was given (with or without a value)
    bool has(const std::string& name) const { return values_.count(name) > 0; }

    /// The value of a required option.
    /// @param name  option name without "--"
    /// @return its value, never empty
    /// @throws UsageError when the option was not given
    std::string required(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw UsageError("missing required option --" + name);
        return it->second;
    }

    /// The value of an option, or `fallback` when absent.
    /// @param name  option name without "--"
    /// @param fallback  returned when the option was not given
    /// @return its value as given, or `fallback`
    std::string get(const std::string& name, const std::string& fallback) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }

    /// A finite real option, or `fallback` when absent; anything else is a usage error.
    /// @param name  option name without "--"
    /// @param fallback  returned (unchecked) when the option was not given
    /// @return the parsed value, or `fallback`
    /// @throws UsageError when the value is not a finite number
    double number(const std::string& name, double fallback) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : parse_real(it->second, "option --" + name);
    }

    /// A finite real option in [min, max], or `fallback` when absent.
    /// @param name  option name without "--"
    /// @param fallback  returned (unchecked) when the option was not given
    /// @param min  smallest value accepted
    /// @param max  largest value accepted
    /// @return the parsed value, or `fallback`
    /// @throws UsageError when the value is not a finite number in [min, max]
    double number(const std::string& name, double fallback, double min, double max) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : parse_real(it->second, "option --" + name, min, max);
    }

    /// A finite real option greater than 0 (and at most `max`), or `fallback` when absent.
    /// @param name  option name without "--"
    /// @param fallback  returned when the option was not given (also checked to be greater than 0)
    /// @param max  largest value accepted (default: the largest finite double)
    /// @return the value, in (0, max]
    /// @throws UsageError when the value is not a number in (0, max]
    double positive_number(const std::string& name, double fallback, double max = std::numeric_limits<double>::max()) const {
        const double v = number(name, fallback, 0, max);
        if (!(v > 0)) throw UsageError("option --" + name + " expects a number greater than 0, got " + get(name, ""));
        return v;
    }

    /// A non-negative whole-number option, or `fallback` when absent.
    /// @param name  option name without "--"
    /// @param fallback  returned (unchecked) when the option was not given
    /// @return the parsed value, 0 or more, or `fallback`
    /// @throws UsageError when the value is not a non-negative whole number
    long long integer(const std::string& name, long long fallback) const {
        return integer(name, fallback, 0, std::numeric_limits<long long>::max());
    }

    /// A whole-number option in [min, max], or `fallback` when absent.
    /// @param name  option name without "--"
    /// @param fallback  returned (unchecked) when the option was not given
    /// @param min  smallest value accepted
    /// @param max  largest value accepted
    /// @return the parsed value, or `fallback`
    /// @throws UsageError when the value is not a whole number in [min, max]
    long long integer(const std::string& name, long long fallback, long long min, long long max) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : parse_integer(it->second, "option --" + name, min, max);
    }

    /// An option whose value is one of the names in `names` (an enum's EnumNames table), or
    /// `fallback` when absent: the one parser of every enum-valued option.
    /// @param name  option name without "--"
    /// @param names  the enum's table of values and names
    /// @param fallback  returned when the option was not given
    /// @return the value the option names, or `fallback`
    /// @throws UsageError "option --NAME expects a, b or c, got 'X'" for any other name
    template <class E, std::size_t N>
    E choice(const std::string& name, const EnumNames<E, N>& names, E fallback) const {
        auto it = values_.find(name);
        if (it == values_.end()) return fallback;
        for (const auto& [value, text] : names)
            if (text == it->second) return value;
        throw UsageError("option --" + name + " expects " + enum_choices(names) + ", got '" + it->second + "'");
    }

    /// An OpenMP thread count: 0 (the default: all) up to this machine's hardware threads.
    /// @param name  option name without "--" (default "threads")
    /// @return the thread count, 0 (all, also when absent) to max_threads()
    /// @throws UsageError when the value is not a whole number in that range
    int threads(const std::string& name = "threads") const {
        try {
            return int(integer(name, 0, 0, max_threads()));
        } catch (const UsageError& e) {
            throw UsageError(std::string(e.what()) + " (0: all; this machine has " + std::to_string(max_threads()) +
                             " hardware threads, and more would only oversubscribe them)");
        }
    }

    /// Arguments that are not options, in order.
    /// @return the bare words, at most the constructor's `max_positional` of them; valid while
    /// this Args lives
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

} // namespace scae::cli
