#pragma once
/// @file checkpoint.hpp
/// @brief A training run's whole state as one file (train::TrainState), written atomically and
/// read back with every field checked; and stopping a run cleanly on SIGTERM or SIGINT.
///
/// The file is JSON (format "scae-checkpoint", version 1): the progress (epochs done, cells of the
/// next epoch done and their summed loss, optimiser steps, early-stopping state), the history, the
/// settings and data fingerprint it must be resumed with, and the weights, optimiser moments and
/// best weights as base64 of little-endian float32 (or float64 for a double run), as in model files.
/// Doubles are written in their shortest exact form, so a resumed run continues bit for bit.

#include "scae/core/atomic_file.hpp"
#include "scae/core/checked_json.hpp"
#include "scae/train/history.hpp"
#include "scae/train/train.hpp"
#include "scae/version.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

namespace scae::train {

/// Format name written in every checkpoint file.
inline constexpr const char* checkpoint_format = "scae-checkpoint";
/// Version of the checkpoint format this library writes and reads.
inline constexpr int checkpoint_version = 1;

namespace detail {

/// Largest parameter matrix a checkpoint may declare: the widest model file's first layer.
inline constexpr long long max_checkpoint_values = nn::max_model_genes * nn::max_layer_size;

/// Reads the matrix list at `path`, checking each entry's size against its base64 length before
/// decoding, and every value for finiteness.
inline std::vector<Matrix<double>> decode_values(const nlohmann::json& list, const std::string& path, int value_bytes,
                                                 const checked_json::Reader& read) {
    if (!list.is_array() || list.size() > std::size_t(3 * 2 * (nn::max_layers + 1) + 3))
        read.fail(path, "expected an array of at most a few dozen matrices, found " + checked_json::Reader::found(list));
    checked_json::MatrixSpec spec;
    spec.value_bytes = value_bytes;
    spec.max_values = max_checkpoint_values;
    std::vector<Matrix<double>> out;
    for (std::size_t k = 0; k < list.size(); ++k) out.push_back(read.matrix<double>(list[k], path + "[" + std::to_string(k) + "]", spec));
    return out;
}

inline nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

} // namespace detail

/// The checkpoint document of `state`.
/// @param state  the run's state; its value_bytes chooses float32 or float64 for the matrices.
/// @return the JSON document save_checkpoint() writes.
/// @throws Error when value_bytes is neither 4 nor 8.
inline nlohmann::json checkpoint_to_json(const TrainState& state) {
    if (state.value_bytes != 4 && state.value_bytes != 8) throw Error("checkpoint: value_bytes must be 4 or 8");
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& s : state.settings) settings[s.first] = s.second;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(state.data.hash));
    const auto matrices = [&](const std::vector<Matrix<double>>& list, const std::string& name) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < list.size(); ++i) out.push_back(checked_json::encode_matrix<nlohmann::json>(name + std::to_string(i), list[i], state.value_bytes));
        return out;
    };
    return {{"format", checkpoint_format},
            {"format_version", checkpoint_version},
            {"scae_version", SCAE_VERSION},
            {"data", {{"cells", state.data.cells}, {"genes", state.data.genes}, {"nonzeros", state.data.nonzeros}, {"fingerprint", hash}}},
            {"settings", settings},
            {"threads", state.threads},
            {"ranks", state.ranks},
            {"value_bytes", state.value_bytes},
            {"progress",
             {{"epochs_done", state.epochs_done},
              {"cells_done", state.cells_done},
              {"partial_sum", state.partial_sum},
              {"steps", state.steps},
              {"best_loss", detail::finite_or_null(state.best_loss)},
              {"since_best", state.since_best}}},
            {"history", history_to_json<nlohmann::json>(state.history)},
            {"weights", matrices(state.weights, "weight")},
            {"moments", matrices(state.moments, "moment")},
            {"best_weights", matrices(state.best_weights, "best")}};
}

/// Reads a checkpoint document; every problem is a scae::Error naming `file` and the field.
/// @param j     the parsed document.
/// @param file  the file it came from, for messages.
/// @return the state, every field checked for type and range and every matrix for finite values.
/// @throws Error naming `file` and the field on a missing, mistyped or out-of-range field.
inline TrainState checkpoint_from_json(const nlohmann::json& j, const std::string& file) {
    const checked_json::Reader read(file);
    read.object(j, "");
    const auto format = j.find("format");
    if (format == j.end() || *format != checkpoint_format)
        read.fail("format", "expected \"scae-checkpoint\" (a file written by scae train --checkpoint)");
    const long long version = read.integer(read.at(j, "", "format_version"), "format_version", 1, 1000000);
    if (version != checkpoint_version)
        read.fail("format_version", "is " + std::to_string(version) + ", this scae reads version " + std::to_string(checkpoint_version));
    TrainState s;
    const nlohmann::json& data = read.at(j, "", "data");
    s.data.cells = read.integer(read.at(data, "data", "cells"), "data.cells", 0, std::numeric_limits<int>::max());
    s.data.genes = read.integer(read.at(data, "data", "genes"), "data.genes", 0, nn::max_model_genes);
    s.data.nonzeros = read.integer(read.at(data, "data", "nonzeros"), "data.nonzeros", 0, std::numeric_limits<long long>::max());
    const std::string hash = read.string(read.at(data, "data", "fingerprint"), "data.fingerprint");
    if (hash.size() != 16 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        read.fail("data.fingerprint", "expected 16 lower-case hex digits");
    s.data.hash = std::stoull(hash, nullptr, 16);
    const nlohmann::json& settings = read.object(read.at(j, "", "settings"), "settings");
    if (settings.size() > 1000) read.fail("settings", "holds " + std::to_string(settings.size()) + " entries, expected a few dozen");
    for (auto it = settings.begin(); it != settings.end(); ++it) s.settings.emplace_back(it.key(), read.string(it.value(), "settings." + it.key()));
    s.threads = int(read.integer(read.at(j, "", "threads"), "threads", 1, 1 << 20));
    s.ranks = int(read.integer(read.at(j, "", "ranks"), "ranks", 1, 1 << 24));
    s.value_bytes = int(read.integer(read.at(j, "", "value_bytes"), "value_bytes", 4, 8));
    if (s.value_bytes != 4 && s.value_bytes != 8) read.fail("value_bytes", "expected 4 or 8");
    const nlohmann::json& p = read.at(j, "", "progress");
    s.epochs_done = int(read.integer(read.at(p, "progress", "epochs_done"), "progress.epochs_done", 0, 100000000));
    s.cells_done = std::size_t(read.integer(read.at(p, "progress", "cells_done"), "progress.cells_done", 0, std::numeric_limits<int>::max()));
    const double huge = std::numeric_limits<double>::max();
    s.partial_sum = read.real(read.at(p, "progress", "partial_sum"), "progress.partial_sum", -huge, huge);
    s.steps = read.integer(read.at(p, "progress", "steps"), "progress.steps", 0, std::numeric_limits<long long>::max());
    const nlohmann::json& best = read.at(p, "progress", "best_loss");
    if (!best.is_null()) s.best_loss = read.real(best, "progress.best_loss", -huge, huge);
    s.since_best = int(read.integer(read.at(p, "progress", "since_best"), "progress.since_best", 0, 100000000));
    s.history = history_from_json(read.at(j, "", "history"), read);
    s.weights = detail::decode_values(read.at(j, "", "weights"), "weights", s.value_bytes, read);
    s.moments = detail::decode_values(read.at(j, "", "moments"), "moments", s.value_bytes, read);
    s.best_weights = detail::decode_values(read.at(j, "", "best_weights"), "best_weights", s.value_bytes, read);
    return s;
}

/// Writes `state` to `path` atomically (a temporary file beside it, forced to disk, then a rename:
/// scae::write_file_atomically with Durability::sync), so a run killed while writing, or a
/// machine that fails, leaves the previous checkpoint whole.
/// @param path   the checkpoint file; replaced whole.
/// @param state  the run's state.
/// @throws Error when value_bytes is neither 4 nor 8 or the file cannot be written.
inline void save_checkpoint(const std::string& path, const TrainState& state) {
    const std::string text = checkpoint_to_json(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    scae::write_file_atomically(path, [&](std::ostream& out) { out << text << '\n'; }, Durability::sync);
}

/// Reads and checks a checkpoint written by save_checkpoint.
/// @param path  the checkpoint file.
/// @return the state, checked as checkpoint_from_json() checks it.
/// @throws Error naming `path` when it is a folder, cannot be opened, is not JSON or has a bad field.
inline TrainState load_checkpoint(const std::string& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) fail(path, 0, "is a folder, expected a checkpoint written by scae train --checkpoint");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, 0, std::string("cannot open checkpoint: ") + std::strerror(errno));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        fail(path, 0, std::string("not a readable checkpoint (truncated or damaged?): ") + e.what());
    }
    try {
        return checkpoint_from_json(j, path);
    } catch (const nlohmann::json::exception& e) {
        fail(path, 0, std::string("malformed checkpoint: ") + e.what());
    }
}

/// While alive, SIGTERM and SIGINT (and SIGUSR1, which mpirun passes on to its ranks) set flag()
/// to the signal's number instead of ending the process; give flag() to CheckpointOptions::stop
/// so that training saves and stops after the current minibatch. The previous handlers come back
/// on destruction. One at a time per process.
class StopOnSignals {
public:
    StopOnSignals() {
        received() = 0;
        for (std::size_t i = 0; i < std::size(signals_); ++i) previous_[i] = std::signal(signals_[i], &StopOnSignals::handle);
    }
    ~StopOnSignals() {
        for (std::size_t i = 0; i < std::size(signals_); ++i) std::signal(signals_[i], previous_[i]);
    }
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;

    /// The number of the signal received, 0 before one.
    /// @return a pointer to the flag, valid for the life of the process.
    static const volatile std::sig_atomic_t* flag() { return &received(); }

private:
    static volatile std::sig_atomic_t& received() {
        static volatile std::sig_atomic_t value = 0;
        return value;
    }
    static void handle(int signal) { received() = signal; }

    static constexpr int signals_[] = {SIGTERM, SIGINT, SIGUSR1};
    void (*previous_[3])(int);
};

} // namespace scae::train
