#pragma once
/// @file args.hpp
/// @brief Long-option parsing shared by every `scae` subcommand.
///
/// Accepts `--name value`, `--name=value` and bare flags (`--native`).
/// Unknown options and missing values are usage errors (exit code 2).

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace scae::cli {

/// Exit codes of the command line.
enum Exit : int { ok = 0, runtime_error = 1, usage_error = 2 };

/// Thrown for a bad command line; the driver prints it with the usage text and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parsed options of one subcommand.
class Args {
public:
    /// Parses `args` (without the program and subcommand names). `valued` lists
    /// options that take a value, `flags` those that do not.
    Args(const std::vector<std::string>& args, const std::set<std::string>& valued,
         const std::set<std::string>& flags = {}) {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a.rfind("--", 0) != 0) {
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
            if (flags.count(name)) {
                if (inline_value) throw UsageError("option --" + name + " takes no value");
                values_[name] = "1";
            } else if (valued.count(name)) {
                if (!inline_value) {
                    if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
                    value = args[++i];
                }
                values_[name] = value;
            } else {
                throw UsageError("unknown option --" + name);
            }
        }
    }

    /// True when the option or flag was given.
    bool has(const std::string& name) const { return values_.count(name) > 0; }

    /// The value of a required option.
    std::string required(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw UsageError("missing required option --" + name);
        return it->second;
    }

    /// The value of an option, or `fallback` when absent.
    std::string get(const std::string& name, const std::string& fallback) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }

    /// A numeric option, or `fallback` when absent; a non-number is a usage error.
    double number(const std::string& name, double fallback) const {
        auto it = values_.find(name);
        if (it == values_.end()) return fallback;
        try {
            std::size_t used = 0;
            double v = std::stod(it->second, &used);
            if (used != it->second.size()) throw std::invalid_argument("trailing");
            return v;
        } catch (const std::exception&) {
            throw UsageError("option --" + name + " expects a number, got '" + it->second + "'");
        }
    }

    /// A non-negative integer option, or `fallback` when absent.
    long long integer(const std::string& name, long long fallback) const {
        double v = number(name, static_cast<double>(fallback));
        if (v < 0 || v != static_cast<double>(static_cast<long long>(v)))
            throw UsageError("option --" + name + " expects a non-negative integer");
        return static_cast<long long>(v);
    }

    /// Arguments that are not options, in order.
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

} // namespace scae::cli
