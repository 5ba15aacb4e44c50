#pragma once
/// @file progress.hpp
/// @brief The command line's progress display: one self-overwriting status line on stderr
/// (epoch, loss, speed, ETA) and a line per finished stage, filled into the library's
/// ProgressCallback (core/progress.hpp). The library itself prints nothing.

#include "scae/core/progress.hpp"

#include <cstdio>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

namespace scae::cli {

/// When to show progress.
enum class ProgressMode {
    automatic, ///< only when stderr is a terminal (default)
    always,    ///< also when stderr is redirected (one line per update)
    never      ///< silent
};

/// How notes (ProgressKind::note) are written.
enum class NoteStyle {
    plain, ///< the message alone ("trained 12 epochs in 3.4 s; best epoch 9")
    timed  ///< "scae WHAT: message (S.s s)", the seconds since the work began
};

/// A callback that writes progress to stderr: a step as "epoch D/T  STATUS  elapsed Xs  ETA Ys",
/// overwriting the previous line on a terminal (one line per step when redirected), a note on a
/// line of its own (`style`). Empty (silent) when `mode` says not to show progress.
/// @param mode  when to show progress (automatic: only when stderr is a terminal)
/// @param style  how notes are written
/// @return the callback, or an empty one
inline ProgressCallback progress_line(ProgressMode mode, NoteStyle style = NoteStyle::plain) {
    const bool terminal = isatty(fileno(stderr)) != 0;
    if (!(mode == ProgressMode::always || (mode == ProgressMode::automatic && terminal))) return {};
    const char* erase = terminal ? "\r\033[K" : "";
    return [terminal, erase, style](const ProgressEvent& e) {
        if (e.kind == ProgressKind::step) {
            const double eta = e.done > 0 ? e.seconds / e.done * (e.total - e.done) : 0.0;
            std::fprintf(stderr, "%s%s %d/%d  %s  elapsed %.1fs  ETA %.1fs%s", erase, e.what.c_str(), e.done, e.total, e.message.c_str(),
                         e.seconds, eta, terminal ? "" : "\n");
            std::fflush(stderr);
            return;
        }
        std::string line = e.message;
        if (style == NoteStyle::timed) {
            std::ostringstream s;
            s << "scae " << e.what << ": " << e.message << " (" << std::fixed << std::setprecision(1) << e.seconds << " s)";
            line = s.str();
        }
        std::fprintf(stderr, "%s%s\n", erase, line.c_str());
    };
}

} // namespace scae::cli
