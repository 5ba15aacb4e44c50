#pragma once
/// @file history.hpp
/// @brief The course of a training run (train::History), and its JSON form, which model files
/// and checkpoints both store.

#include "scae/core/checked_json.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace scae::train {

/// What happened in one epoch.
struct EpochRecord {
    int epoch = 0;                 ///< 1-based
    double train_loss = 0;         ///< mean objective over the epoch's minibatches (loss + penalty)
    double validation_loss = std::numeric_limits<double>::quiet_NaN(); ///< reconstruction loss on held-out cells
    double seconds = 0;            ///< wall time of the epoch
};

/// The course of a training run.
struct History {
    std::vector<EpochRecord> epochs; ///< one record per epoch run
    int best_epoch = 0;              ///< epoch with the lowest monitored loss
    bool stopped_early = false;      ///< patience ran out
    std::size_t train_cells = 0;     ///< cells trained on
    std::size_t validation_cells = 0; ///< cells held out
};

/// `h` as the "history" object of model files and checkpoints.
/// @param h  the history
/// @return {"epochs": [...], "best_epoch", "stopped_early", "train_cells", "validation_cells"};
/// a missing validation loss is null
template <class Json>
Json history_to_json(const History& h) {
    Json epochs = Json::array();
    for (const auto& e : h.epochs)
        epochs.push_back({{"epoch", e.epoch},
                          {"train_loss", e.train_loss},
                          {"validation_loss", std::isfinite(e.validation_loss) ? Json(e.validation_loss) : Json()},
                          {"seconds", e.seconds}});
    return {{"epochs", epochs}, {"best_epoch", h.best_epoch}, {"stopped_early", h.stopped_early},
            {"train_cells", h.train_cells}, {"validation_cells", h.validation_cells}};
}

/// Reads the "history" object written by history_to_json(); missing fields take their defaults.
/// @param j     the object
/// @param read  the reader of the document, which names the file in messages
/// @return the history
/// @throws Error naming "history..." for a field of the wrong type or out of range
template <class Json>
History history_from_json(const Json& j, const checked_json::BasicReader<Json>& read) {
    using Reader = checked_json::BasicReader<Json>;
    History h;
    read.object(j, "history");
    const auto number = [&](const Json& o, const std::string& path, const char* key, double fallback) {
        const auto it = o.find(key);
        if (it == o.end() || it->is_null()) return fallback; // validation_loss is null where there was none
        return read.real(*it, Reader::join(path, key), -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
    };
    const auto count = [&](const Json& o, const std::string& path, const char* key) {
        const auto it = o.find(key);
        return it == o.end() ? 0LL : read.integer(*it, Reader::join(path, key), 0, std::numeric_limits<int>::max());
    };
    if (const auto it = j.find("epochs"); it != j.end()) {
        if (!it->is_array()) read.fail("history.epochs", "expected an array, found " + Reader::found(*it));
        for (std::size_t i = 0; i < it->size(); ++i) {
            const std::string path = "history.epochs[" + std::to_string(i) + "]";
            const auto& e = read.object((*it)[i], path);
            EpochRecord r;
            r.epoch = int(count(e, path, "epoch"));
            r.train_loss = number(e, path, "train_loss", 0.0);
            r.validation_loss = number(e, path, "validation_loss", r.validation_loss);
            r.seconds = number(e, path, "seconds", 0.0);
            h.epochs.push_back(r);
        }
    }
    h.best_epoch = int(count(j, "history", "best_epoch"));
    if (const auto it = j.find("stopped_early"); it != j.end()) h.stopped_early = read.boolean(*it, "history.stopped_early");
    h.train_cells = std::size_t(count(j, "history", "train_cells"));
    h.validation_cells = std::size_t(count(j, "history", "validation_cells"));
    return h;
}

} // namespace scae::train
