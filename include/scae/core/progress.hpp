#pragma once
/// @file progress.hpp
/// @brief Progress of long work (training epochs, the steps of a transfer) as events handed to a
/// caller's callback. The library prints nothing: the `scae` command line fills the callback with
/// a status line on stderr (cli/progress.hpp); a library user may log, draw or ignore the events.

#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <utility>

namespace scae {

/// What a ProgressEvent reports.
enum class ProgressKind {
    step, ///< step `done` of `total` is finished (an epoch of training); `message` is its status
    note  ///< a stage is finished, or the work ended or stopped; `message` says what
};

/// One report of long work's progress.
struct ProgressEvent {
    ProgressKind kind = ProgressKind::step; ///< a counted step or a note
    std::string what;    ///< the unit of the steps ("epoch"), or the work a note is about ("train", "transfer")
    int done = 0;        ///< steps done so far (kind step)
    int total = 0;       ///< steps expected at most (kind step; training may stop early)
    std::string message; ///< step: its status, e.g. "train 0.31  val 0.33  5000 cells/s"; note: what happened
    double seconds = 0;  ///< seconds since the work began
    double loss = std::numeric_limits<double>::quiet_NaN();            ///< step of training: the epoch's train loss (else NaN)
    double validation_loss = std::numeric_limits<double>::quiet_NaN(); ///< step of training: its validation loss (NaN: none)
};

/// Receives progress events; an empty callback (the default in every Options struct) is silent.
/// It is called on the calling thread, between pieces of work, never from inside a parallel loop.
using ProgressCallback = std::function<void(const ProgressEvent&)>;

/// Sends events to a callback, stamped with the seconds since this reporter was made; does
/// nothing when the callback is empty.
class ProgressReporter {
public:
    /// @param callback  where events go (empty: nowhere)
    explicit ProgressReporter(ProgressCallback callback)
        : callback_(std::move(callback)), start_(std::chrono::steady_clock::now()) {}

    /// Reports a finished step.
    /// @param what  the unit of the steps ("epoch")
    /// @param done  steps done so far
    /// @param total  steps expected at most
    /// @param message  the step's status
    /// @param loss  the step's training loss (NaN: none)
    /// @param validation_loss  its validation loss (NaN: none)
    void step(const std::string& what, int done, int total, const std::string& message,
              double loss = std::numeric_limits<double>::quiet_NaN(),
              double validation_loss = std::numeric_limits<double>::quiet_NaN()) const {
        if (!callback_) return;
        ProgressEvent e;
        e.kind = ProgressKind::step;
        e.what = what;
        e.done = done;
        e.total = total;
        e.message = message;
        e.seconds = seconds();
        e.loss = loss;
        e.validation_loss = validation_loss;
        callback_(e);
    }

    /// Reports a finished stage, or the end of the work.
    /// @param what  the work ("train", "transfer")
    /// @param message  what happened
    void note(const std::string& what, const std::string& message) const {
        if (!callback_) return;
        ProgressEvent e;
        e.kind = ProgressKind::note;
        e.what = what;
        e.message = message;
        e.seconds = seconds();
        callback_(e);
    }

    /// Seconds since construction.
    /// @return seconds on the steady clock since the reporter was made
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

private:
    ProgressCallback callback_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace scae
