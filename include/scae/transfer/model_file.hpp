#pragma once
/// @file model_file.hpp
/// @brief One JSON file per trained model: architecture, input transform, genes, weights,
/// preprocessing, training history and provenance.
///
/// Format (format_version 1.x; docs/model-format.md describes every field):
/// - weights are base64 of little-endian IEEE-754 float32, row-major, so every float
///   round-trips exactly;
/// - unknown extra fields are ignored, so later minor versions stay readable;
/// - a newer major version is refused with a message;
/// - an optional "reference" holds labelled training cells' bottleneck activations, so a
///   foreign model can transfer labels without its training data.

#include "scae/core/base64.hpp"
#include "scae/data/atomic_file.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/train/train.hpp"
#include "scae/version.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scae::transfer {

/// The format version this library writes; it reads every 1.x file.
inline constexpr int format_major = 1;
/// Minor version written.
inline constexpr int format_minor = 0;

/// Where a model came from.
struct Provenance {
    std::string data_path;  ///< training data as given by the user
    long long cells = 0;    ///< cells trained on (after filtering)
    std::uint64_t seed = 0; ///< training seed
    std::string created;    ///< UTC time of saving, ISO 8601
    nlohmann::json extra = nlohmann::json::object(); ///< anything else worth keeping (command line, labels file)
};

/// A trained model with everything needed to apply it to new data.
struct ModelFile {
    nn::Autoencoder<float> model;           ///< architecture, input transform and weights
    std::vector<std::string> gene_ids;      ///< model gene order (the columns it expects)
    std::vector<std::string> gene_symbols;  ///< symbols in the same order
    nlohmann::json preprocessing = nlohmann::json::object(); ///< data::Preprocessing, as JSON
    train::History history;                 ///< how training went
    Provenance provenance;                  ///< where it came from
    /// Optional labelled reference for label transfer: the training cells' labels...
    std::vector<std::string> reference_labels;
    /// ...and their bottleneck activations (cells x latent); empty when absent.
    Matrix<float> reference_latent;
};

namespace detail {

inline bool little_endian() {
    const std::uint16_t probe = 1;
    std::uint8_t first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

inline nlohmann::json encode_matrix(const std::string& name, const Matrix<float>& m) {
    std::vector<std::uint8_t> bytes(std::size_t(m.size()) * 4);
    std::memcpy(bytes.data(), m.data(), bytes.size());
    if (!little_endian())
        for (std::size_t i = 0; i < bytes.size(); i += 4) std::swap(bytes[i], bytes[i + 3]), std::swap(bytes[i + 1], bytes[i + 2]);
    return {{"name", name}, {"rows", m.rows()}, {"cols", m.cols()}, {"dtype", "float32le"}, {"data", base64::encode(bytes.data(), bytes.size())}};
}

inline void decode_matrix(const std::string& file, const nlohmann::json& entry, const std::string& name, Matrix<float>& into) {
    if (entry.value("name", "") != name) fail(file, 0, "weights out of order: expected '" + name + "', found '" + entry.value("name", "") + "'");
    if (entry.value("dtype", "") != "float32le") fail(file, 0, "weight '" + name + "' has dtype '" + entry.value("dtype", "") + "', expected float32le");
    const Index rows = entry.at("rows").get<Index>(), cols = entry.at("cols").get<Index>();
    if (rows != into.rows() || cols != into.cols())
        fail(file, 0, "weight '" + name + "' is " + std::to_string(rows) + "x" + std::to_string(cols) + ", the architecture needs " +
                          std::to_string(into.rows()) + "x" + std::to_string(into.cols()));
    std::vector<std::uint8_t> bytes;
    try {
        bytes = base64::decode(entry.at("data").get<std::string>());
    } catch (const Error& e) {
        fail(file, 0, "weight '" + name + "': " + e.what());
    }
    if (bytes.size() != std::size_t(rows * cols) * 4)
        fail(file, 0, "weight '" + name + "' holds " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(rows * cols * 4));
    if (!little_endian())
        for (std::size_t i = 0; i < bytes.size(); i += 4) std::swap(bytes[i], bytes[i + 3]), std::swap(bytes[i + 1], bytes[i + 2]);
    std::memcpy(into.data(), bytes.data(), bytes.size());
    if (!into.allFinite()) fail(file, 0, "weight '" + name + "' contains NaN or infinite values");
}

inline nlohmann::json history_to_json(const train::History& h) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : h.epochs)
        epochs.push_back({{"epoch", e.epoch},
                          {"train_loss", e.train_loss},
                          {"validation_loss", std::isfinite(e.validation_loss) ? nlohmann::json(e.validation_loss) : nlohmann::json()},
                          {"seconds", e.seconds}});
    return {{"epochs", epochs}, {"best_epoch", h.best_epoch}, {"stopped_early", h.stopped_early},
            {"train_cells", h.train_cells}, {"validation_cells", h.validation_cells}};
}

inline train::History history_from_json(const nlohmann::json& j) {
    train::History h;
    for (const auto& e : j.value("epochs", nlohmann::json::array())) {
        train::EpochRecord r;
        r.epoch = e.value("epoch", 0);
        r.train_loss = e.value("train_loss", 0.0);
        if (e.contains("validation_loss") && e["validation_loss"].is_number()) r.validation_loss = e["validation_loss"].get<double>();
        r.seconds = e.value("seconds", 0.0);
        h.epochs.push_back(r);
    }
    h.best_epoch = j.value("best_epoch", 0);
    h.stopped_early = j.value("stopped_early", false);
    h.train_cells = j.value("train_cells", std::size_t(0));
    h.validation_cells = j.value("validation_cells", std::size_t(0));
    return h;
}

inline std::vector<std::string> layer_names(std::size_t layers) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < layers; ++i) {
        names.push_back("layer" + std::to_string(i) + ".weight");
        names.push_back("layer" + std::to_string(i) + ".bias");
    }
    return names;
}

} // namespace detail

/// The model as a JSON document.
inline nlohmann::json to_json(const ModelFile& m) {
    const nn::AutoencoderOptions& o = m.model.options;
    nlohmann::json weights = nlohmann::json::array();
    for (std::size_t i = 0; i < m.model.layers.size(); ++i) {
        weights.push_back(detail::encode_matrix("layer" + std::to_string(i) + ".weight", m.model.layers[i].weight.value));
        weights.push_back(detail::encode_matrix("layer" + std::to_string(i) + ".bias", m.model.layers[i].bias.value));
    }
    if (o.loss == nn::Loss::negative_binomial) weights.push_back(detail::encode_matrix("log_theta", m.model.log_theta.value));
    return {{"format", "scae-model"},
            {"format_version", std::to_string(format_major) + "." + std::to_string(format_minor)},
            {"scae_version", SCAE_VERSION},
            {"architecture",
             {{"genes", m.model.genes()},
              {"encoder_sizes", o.encoder_sizes},
              {"activation", nn::to_string(o.activation)},
              {"output_activation", nn::to_string(o.output_activation)},
              {"softplus_beta", o.softplus_beta},
              {"loss", nn::to_string(o.loss)},
              {"orthogonality_weight", o.orthogonality_weight},
              {"seed", o.seed}}},
            {"input_transform", {{"target_sum", o.input.target_sum}, {"log1p", o.input.log1p}}},
            {"genes", {{"ids", m.gene_ids}, {"symbols", m.gene_symbols}}},
            {"preprocessing", m.preprocessing},
            {"weights", weights},
            {"history", detail::history_to_json(m.history)},
            {"reference", m.reference_labels.empty() ? nlohmann::json()
                                                     : nlohmann::json{{"labels", m.reference_labels},
                                                                      {"latent", detail::encode_matrix("latent", m.reference_latent)}}},
            {"provenance",
             {{"data_path", m.provenance.data_path},
              {"cells", m.provenance.cells},
              {"seed", m.provenance.seed},
              {"created", m.provenance.created},
              {"extra", m.provenance.extra}}}};
}

/// Reads a model from its JSON document; `file` names it in error messages.
inline ModelFile from_json(const nlohmann::json& j, const std::string& file = "<model>") {
    try {
        if (j.value("format", "") != "scae-model") fail(file, 0, "not an scae model file (field \"format\" is not \"scae-model\")");
        const std::string version = j.at("format_version").get<std::string>();
        const int major = std::atoi(version.c_str());
        if (major > format_major)
            fail(file, 0, "model format " + version + " is newer than this scae (" SCAE_VERSION ") reads (" + std::to_string(format_major) +
                              ".x); upgrade scae");
        if (major < 1) fail(file, 0, "unknown model format version '" + version + "'");
        const auto& a = j.at("architecture");
        nn::AutoencoderOptions o;
        o.encoder_sizes = a.at("encoder_sizes").get<std::vector<Index>>();
        o.activation = nn::activation_from_string(a.at("activation").get<std::string>());
        o.output_activation = nn::activation_from_string(a.at("output_activation").get<std::string>());
        o.softplus_beta = a.at("softplus_beta").get<double>();
        o.loss = nn::loss_from_string(a.at("loss").get<std::string>());
        o.orthogonality_weight = a.at("orthogonality_weight").get<double>();
        o.seed = a.value("seed", std::uint64_t(0));
        o.input.target_sum = j.at("input_transform").at("target_sum").get<double>();
        o.input.log1p = j.at("input_transform").at("log1p").get<bool>();
        const Index genes = a.at("genes").get<Index>();
        ModelFile m{nn::Autoencoder<float>(genes, o), {}, {}, {}, {}, {}, {}, {}};
        m.gene_ids = j.at("genes").at("ids").get<std::vector<std::string>>();
        m.gene_symbols = j.at("genes").at("symbols").get<std::vector<std::string>>();
        if (Index(m.gene_ids.size()) != genes || Index(m.gene_symbols.size()) != genes)
            fail(file, 0, "the model has " + std::to_string(genes) + " genes but lists " + std::to_string(m.gene_ids.size()) + " ids and " +
                              std::to_string(m.gene_symbols.size()) + " symbols");
        const auto& weights = j.at("weights");
        const std::size_t expected = 2 * m.model.layers.size() + (o.loss == nn::Loss::negative_binomial ? 1 : 0);
        if (!weights.is_array() || weights.size() != expected)
            fail(file, 0, "expected " + std::to_string(expected) + " weight arrays, found " + std::to_string(weights.size()));
        const auto names = detail::layer_names(m.model.layers.size());
        for (std::size_t i = 0; i < m.model.layers.size(); ++i) {
            detail::decode_matrix(file, weights[2 * i], names[2 * i], m.model.layers[i].weight.value);
            detail::decode_matrix(file, weights[2 * i + 1], names[2 * i + 1], m.model.layers[i].bias.value);
        }
        if (o.loss == nn::Loss::negative_binomial) detail::decode_matrix(file, weights.back(), "log_theta", m.model.log_theta.value);
        m.preprocessing = j.value("preprocessing", nlohmann::json::object());
        if (j.contains("history")) m.history = detail::history_from_json(j["history"]);
        if (j.contains("reference") && j["reference"].is_object()) {
            m.reference_labels = j["reference"].at("labels").get<std::vector<std::string>>();
            m.reference_latent.resize(Index(m.reference_labels.size()), m.model.latent_size());
            detail::decode_matrix(file, j["reference"].at("latent"), "latent", m.reference_latent);
        }
        if (j.contains("provenance")) {
            const auto& p = j["provenance"];
            m.provenance.data_path = p.value("data_path", "");
            m.provenance.cells = p.value("cells", 0LL);
            m.provenance.seed = p.value("seed", std::uint64_t(0));
            m.provenance.created = p.value("created", "");
            m.provenance.extra = p.value("extra", nlohmann::json::object());
        }
        return m;
    } catch (const nlohmann::json::exception& e) {
        fail(file, 0, std::string("malformed model file: ") + e.what());
    }
}

/// Writes `m` to `path` atomically (temporary file, then rename).
inline void save_model(const std::string& path, const ModelFile& m) {
    const std::string text = to_json(m).dump(1);
    data::write_file_atomically(path, [&](std::ostream& out) { out << text << '\n'; });
}

/// Reads and validates a model file; every problem is a scae::Error naming the file.
inline ModelFile load_model(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, 0, "cannot open model file");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        fail(path, 0, std::string("not valid JSON: ") + e.what());
    }
    return from_json(j, path);
}

/// The current UTC time as ISO 8601, for Provenance::created.
inline std::string utc_now() {
    std::time_t now = std::time(nullptr);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buffer;
}

} // namespace scae::transfer
