#pragma once
/// @file progress.hpp
/// @brief One self-overwriting status line on stderr for long work: epoch, loss, speed, ETA.

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace scae::train {

/// When to show progress.
enum class ProgressMode {
    automatic, ///< only when stderr is a terminal (default)
    always,    ///< also when stderr is redirected (one line per update)
    never      ///< silent
};

/// Prints progress lines; every call is a no-op when disabled.
class Progress {
public:
    /// `total` is the number of steps (epochs) expected.
    /// @param mode   when to print.
    /// @param total  number of steps (epochs) expected, for the ETA.
    Progress(ProgressMode mode, int total)
        : terminal_(isatty(fileno(stderr)) != 0),
          enabled_(mode == ProgressMode::always || (mode == ProgressMode::automatic && terminal_)),
          total_(total), start_(std::chrono::steady_clock::now()) {}

    /// Reports step `done` of `total` with a free-form status, e.g. "loss 0.31".
    /// @param done    steps done so far.
    /// @param status  free-form text shown after the step count.
    void update(int done, const std::string& status) {
        if (!enabled_) return;
        const double elapsed = seconds();
        const double eta = done > 0 ? elapsed / done * (total_ - done) : 0.0;
        std::fprintf(stderr, "%sepoch %d/%d  %s  elapsed %.1fs  ETA %.1fs%s", terminal_ ? "\r\033[K" : "", done, total_,
                     status.c_str(), elapsed, eta, terminal_ ? "" : "\n");
        std::fflush(stderr);
    }

    /// Ends the line (terminal mode) with a final message.
    /// @param message  the last line.
    void finish(const std::string& message) {
        if (!enabled_) return;
        std::fprintf(stderr, "%s%s\n", terminal_ ? "\r\033[K" : "", message.c_str());
    }

    /// Seconds since construction.
    /// @return seconds on the steady clock since the Progress was made.
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    bool terminal_, enabled_;
    int total_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace scae::train
