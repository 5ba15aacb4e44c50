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
///   foreign model can transfer labels without its training data;
/// - an optional "reference_input" (1.2) summarises the training cells' input (mean, count shares,
///   a low-rank-plus-diagonal covariance), so a foreign model can stand in for missing genes;
/// - an optional "reference_meaning" (1.3, scae train --gmt) keeps each node's top gene set on the
///   training cells and that set's coordinated component, so that a new tissue can be asked
///   whether each node kept its meaning (interpret/node_meaning.hpp).

#include "scae/core/atomic_file.hpp"
#include "scae/core/checked_json.hpp"
#include "scae/interpret/reference_meaning.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/train/history.hpp"
#include "scae/transfer/reference_input.hpp"
#include "scae/version.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scae::transfer {

/// The format version this library writes; it reads every 1.x file.
inline constexpr int format_major = 1;
/// Minor version written.
inline constexpr int format_minor = 3;

/// Where a model came from.
struct Provenance {
    std::string data_path;  ///< training data as given by the user
    long long cells = 0;    ///< cells trained on (after filtering)
    std::uint64_t seed = 0; ///< training seed
    std::string created;    ///< UTC time of saving, ISO 8601
    nlohmann::json extra = nlohmann::json::value_t::object; ///< anything else worth keeping (command line, labels file)
};

/// A trained model with everything needed to apply it to new data.
struct ModelFile {
    nn::Autoencoder<float> model;           ///< architecture, input transform and weights
    std::vector<std::string> gene_ids;      ///< model gene order (the columns it expects)
    std::vector<std::string> gene_symbols;  ///< symbols in the same order
    nlohmann::json preprocessing = nlohmann::json::value_t::object; ///< data::Preprocessing, as JSON
    train::History history;                 ///< how training went
    Provenance provenance;                  ///< where it came from
    /// Optional labelled reference for label transfer: the training cells' labels...
    std::vector<std::string> reference_labels;
    /// ...and their bottleneck activations (cells x latent); empty when absent.
    Matrix<float> reference_latent;
    /// ...and how much of each the model leaves unexplained (transfer::mean_cell_deviance), for
    /// calling target cells it cannot reconstruct `unknown` (the cells trained on scaled to
    /// stand for new cells, see train_model()); empty in files before 1.2.
    RowVector<float> reference_fit;
    /// Summary of the training cells' model input (format 1.2), with which the model stands in for
    /// genes a target lacks; empty in older files.
    ReferenceInput reference_input;
    /// Each node's top gene set on the training cells and that set's coordinated component
    /// (format 1.3; scae train --gmt), against which interpret::compare_meaning() tells whether a
    /// node kept its meaning on new data; empty when the model was trained without gene sets.
    interpret::ReferenceMeaning reference_meaning;
};

/// Largest weight magnitude accepted: trained weights are of order 1; values near the float limit
/// overflow in the first product and would turn every output into NaN.
inline constexpr double max_weight_magnitude = 1e6;

namespace detail {

/// The spec of a stored float32 matrix of a model file: its name and shape, its values finite and
/// at most max_weight_magnitude.
inline checked_json::MatrixSpec weight_spec(const std::string& name, Index rows, Index cols) {
    checked_json::MatrixSpec spec;
    spec.name = name;
    spec.rows = rows;
    spec.cols = cols;
    spec.max_magnitude = max_weight_magnitude;
    return spec;
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

namespace detail {

/// The fitted preprocessing (a data::Preprocessing as JSON) without its `target_sum` when that is
/// the model's input target sum (the model normalises to the fitted depth), so that the value is
/// stored once, in `input_transform`; a raw-count model (input target sum 0) keeps the fitted
/// depth here.
template <class Json>
Json preprocessing_json(Json p, double input_target_sum) {
    if (p.is_object() && p.value("format", "") == "scae.preprocessing" && p.contains("target_sum") && p["target_sum"] == input_target_sum)
        p.erase("target_sum");
    return p;
}

} // namespace detail

namespace detail {

/// "reference" of a model file: the labelled cells' labels, bottleneck and fit.
template <class Json>
Json reference_json(const ModelFile& m) {
    Json j{{"labels", m.reference_labels}, {"latent", checked_json::encode_matrix<Json>("latent", m.reference_latent)}};
    if (m.reference_fit.size() > 0) j["fit"] = checked_json::encode_matrix<Json>("fit", Matrix<float>(m.reference_fit));
    return j;
}

/// "reference_input" of a model file: the summary's four arrays, encoded as weights are.
template <class Json>
Json reference_input_json(const ReferenceInput& r) {
    return {{"components", r.loadings.cols()},
            {"mean", checked_json::encode_matrix<Json>("mean", Matrix<float>(r.mean))},
            {"count_share", checked_json::encode_matrix<Json>("count_share", Matrix<float>(r.count_share))},
            {"loadings", checked_json::encode_matrix<Json>("loadings", r.loadings)},
            {"noise", checked_json::encode_matrix<Json>("noise", Matrix<float>(r.noise))}};
}

/// Reads "reference_input", each array checked against the model's genes before it is allocated.
template <class Json>
ReferenceInput reference_input_from_json(const Json& j, const checked_json::BasicReader<Json>& read, Index genes) {
    read.object(j, "reference_input");
    const Index k = Index(read.integer(read.at(j, "reference_input", "components"), "reference_input.components", 0, nn::max_layer_size));
    ReferenceInput r;
    const auto row = [&](const char* name, RowVector<float>& into) {
        into = read.template matrix<float>(read.at(j, "reference_input", name), std::string("reference_input.") + name, weight_spec(name, 1, genes));
    };
    row("mean", r.mean);
    row("count_share", r.count_share);
    row("noise", r.noise);
    r.loadings = read.template matrix<float>(read.at(j, "reference_input", "loadings"), "reference_input.loadings", weight_spec("loadings", genes, k));
    for (Index g = 0; g < genes; ++g) {
        if (!(r.noise(g) > 0)) read.fail("reference_input.noise", "entry " + std::to_string(g) + " is not positive; expected variances > 0");
        if (!(r.count_share(g) >= 0 && r.count_share(g) <= 1))
            read.fail("reference_input.count_share", "entry " + std::to_string(g) + " is outside [0, 1]");
    }
    return r;
}

/// "reference_meaning" of a model file: per node null (no set named it) or its set and component.
template <class Json>
Json reference_meaning_json(const interpret::ReferenceMeaning& r) {
    Json nodes = Json::array();
    for (const interpret::NodeProgramme& p : r.nodes) {
        if (!p.named()) {
            nodes.push_back(Json());
            continue;
        }
        nodes.push_back({{"set", p.set}, {"q", p.q}, {"genes", p.genes}, {"loadings", p.loadings}, {"eigenvalue", p.eigenvalue}, {"r", p.r}});
    }
    return {{"gene_sets", r.gene_sets}, {"alpha", r.alpha}, {"cells", r.cells}, {"nodes", std::move(nodes)}};
}

/// Reads "reference_meaning": one entry per bottleneck node, each null or a set with its
/// component, every field checked (gene columns ascending within the model, loadings of unit
/// length, one per gene) before it is used.
template <class Json>
interpret::ReferenceMeaning reference_meaning_from_json(const Json& j, const checked_json::BasicReader<Json>& read, Index genes, Index latent) {
    const std::string path = "reference_meaning";
    read.object(j, path);
    interpret::ReferenceMeaning r;
    r.gene_sets = read.string(read.at(j, path, "gene_sets"), path + ".gene_sets");
    r.alpha = read.real(read.at(j, path, "alpha"), path + ".alpha", std::numeric_limits<double>::min(), 1);
    r.cells = Index(read.integer(read.at(j, path, "cells"), path + ".cells", 3, std::numeric_limits<int>::max()));
    const Json& nodes = read.at(j, path, "nodes");
    if (!nodes.is_array() || Index(nodes.size()) != latent)
        read.fail(path + ".nodes", "expected an array of " + std::to_string(latent) + " entries (one per bottleneck node), found " +
                                       checked_json::BasicReader<Json>::found(nodes));
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        interpret::NodeProgramme& p = r.nodes.emplace_back();
        if (nodes[k].is_null()) continue;
        const std::string at = path + ".nodes[" + std::to_string(k) + "]";
        read.object(nodes[k], at);
        p.set = read.string(read.at(nodes[k], at, "set"), at + ".set");
        if (p.set.empty()) read.fail(at + ".set", "expected a set's name, found an empty string (an unnamed node is null)");
        p.q = read.real(read.at(nodes[k], at, "q"), at + ".q", 0, 1);
        const Json& g = read.at(nodes[k], at, "genes");
        if (!g.is_array() || Index(g.size()) > genes)
            read.fail(at + ".genes", "expected an array of at most " + std::to_string(genes) + " gene columns, found " + checked_json::BasicReader<Json>::found(g));
        for (std::size_t i = 0; i < g.size(); ++i) {
            p.genes.push_back(Index(read.integer(g[i], at + ".genes[" + std::to_string(i) + "]", 0, genes - 1)));
            if (i > 0 && p.genes[i] <= p.genes[i - 1])
                read.fail(at + ".genes[" + std::to_string(i) + "]", "expected gene columns in ascending order, each once");
        }
        const Json& w = read.at(nodes[k], at, "loadings");
        if (!w.is_array() || (!w.empty() && w.size() != g.size()))
            read.fail(at + ".loadings", "expected an array of " + std::to_string(g.size()) + " loadings (one per gene) or none, found " +
                                            checked_json::BasicReader<Json>::found(w));
        double norm = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            p.loadings.push_back(read.real(w[i], at + ".loadings[" + std::to_string(i) + "]", -1 - 1e-9, 1 + 1e-9)); // rounding of a unit vector
            norm += p.loadings.back() * p.loadings.back();
        }
        if (!w.empty() && std::abs(norm - 1) > 1e-6) read.fail(at + ".loadings", "expected loadings of unit length, found squared length " + std::to_string(norm));
        // A correlation matrix's eigenvalue is at most its size, a correlation at most 1, up to rounding.
        p.eigenvalue = read.real(read.at(nodes[k], at, "eigenvalue"), at + ".eigenvalue", 0, double(std::max<std::size_t>(p.genes.size(), 1)) * (1 + 1e-9));
        p.r = read.real(read.at(nodes[k], at, "r"), at + ".r", 0, 1 + 1e-9);
        p.edge = std::pow(1 + std::sqrt(double(p.genes.size()) / double(r.cells)), 2);
    }
    return r;
}

} // namespace detail

/// The model as a JSON document.
/// @param m the model with its genes, preprocessing, history and provenance
/// @return the document save_model() writes (format "scae-model", weights as encoded arrays)
template <class Json = nlohmann::json>
Json to_json(const ModelFile& m) {
    const nn::AutoencoderOptions& o = m.model.options;
    Json weights = Json::array();
    for (std::size_t i = 0; i < m.model.layers.size(); ++i) {
        weights.push_back(checked_json::encode_matrix<Json>("layer" + std::to_string(i) + ".weight", m.model.layers[i].weight.value));
        weights.push_back(checked_json::encode_matrix<Json>("layer" + std::to_string(i) + ".bias", m.model.layers[i].bias.value));
    }
    if (o.loss == nn::Loss::negative_binomial) weights.push_back(checked_json::encode_matrix<Json>("log_theta", m.model.log_theta.value));
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
            {"preprocessing", detail::preprocessing_json(m.preprocessing, o.input.target_sum)},
            {"weights", weights},
            {"history", train::history_to_json<Json>(m.history)},
            {"reference", m.reference_labels.empty() ? Json()
                                                     : detail::reference_json<Json>(m)},
            {"reference_input", m.reference_input.empty() ? Json() : detail::reference_input_json<Json>(m.reference_input)},
            {"reference_meaning", m.reference_meaning.empty() ? Json() : detail::reference_meaning_json<Json>(m.reference_meaning)},
            {"provenance",
             {{"data_path", m.provenance.data_path},
              {"cells", m.provenance.cells},
              {"seed", m.provenance.seed},
              {"created", m.provenance.created},
              {"extra", m.provenance.extra}}}};
}

namespace detail {
template <class Json>
ModelFile from_json_checked(const Json& j, const std::string& file) {
    using Reader = checked_json::BasicReader<Json>;
    const Reader read(file);
    if (!j.is_object()) read.fail("(top level)", "expected an scae model object, found " + Reader::found(j));
    if (!j.contains("format") || !j["format"].is_string() || j["format"].template get<std::string>() != "scae-model")
        fail(file, 0, "not an scae model file (field \"format\" is not \"scae-model\")");
    const std::string version = read.string(read.at(j, "", "format_version"), "format_version");
    const std::size_t dot = version.find('.');
    const std::string major_text = version.substr(0, dot);
    if (major_text.empty() || major_text.size() > 4 || major_text.find_first_not_of("0123456789") != std::string::npos ||
        (dot != std::string::npos && (dot + 1 == version.size() || version.find_first_not_of("0123456789", dot + 1) != std::string::npos)))
        read.fail("format_version", "expected a version such as \"1.0\", found \"" + version + "\"");
    const int major = std::stoi(major_text);
    if (major > format_major)
        fail(file, 0, "model format " + version + " is newer than this scae (" SCAE_VERSION ") reads (" + std::to_string(format_major) +
                          ".x); upgrade scae");
    if (major < 1) fail(file, 0, "unknown model format version '" + version + "'");

    const auto& a = read.at(j, "", "architecture");
    nn::AutoencoderOptions o;
    const Index genes = Index(read.integer(read.at(a, "architecture", "genes"), "architecture.genes", 1, nn::max_model_genes));
    const auto& sizes = read.at(a, "architecture", "encoder_sizes");
    if (!sizes.is_array() || sizes.empty() || sizes.size() > std::size_t(nn::max_layers))
        read.fail("architecture.encoder_sizes", "expected an array of 1 to " + std::to_string(nn::max_layers) + " layer sizes, found " +
                                                    Reader::found(sizes));
    o.encoder_sizes.clear();
    for (std::size_t i = 0; i < sizes.size(); ++i)
        o.encoder_sizes.push_back(
            Index(read.integer(sizes[i], "architecture.encoder_sizes[" + std::to_string(i) + "]", 1, nn::max_layer_size)));
    const auto named = [&](const Json& obj, const std::string& path, const char* key, auto from_string) {
        const std::string path_key = Reader::join(path, key);
        const std::string name = read.string(read.at(obj, path, key), path_key);
        try {
            return from_string(name);
        } catch (const Error& e) {
            read.fail(path_key, e.what());
        }
    };
    o.activation = named(a, "architecture", "activation", nn::activation_from_string);
    o.output_activation = named(a, "architecture", "output_activation", nn::activation_from_string);
    // softplus(x) = log(1 + exp(beta x)) / beta: beta <= 0 is no softplus, and a huge beta
    // overflows exp() in float.
    o.softplus_beta = read.real(read.at(a, "architecture", "softplus_beta"), "architecture.softplus_beta", nn::min_softplus_beta,
                                nn::max_softplus_beta);
    o.loss = named(a, "architecture", "loss", nn::loss_from_string);
    o.orthogonality_weight = read.real(read.at(a, "architecture", "orthogonality_weight"), "architecture.orthogonality_weight", 0,
                                       nn::max_orthogonality_weight);
    if (a.contains("seed")) o.seed = read.unsigned_integer(a["seed"], "architecture.seed");
    const auto& input = read.at(j, "", "input_transform");
    o.input.target_sum = read.real(read.at(input, "input_transform", "target_sum"), "input_transform.target_sum", 0, nn::max_target_sum);
    o.input.log1p = read.boolean(read.at(input, "input_transform", "log1p"), "input_transform.log1p");

    // The gene list and every weight are checked before the network is built.
    const auto& gene_names = read.at(j, "", "genes");
    std::vector<std::string> gene_ids = read.strings(read.at(gene_names, "genes", "ids"), "genes.ids", std::size_t(genes), true);
    std::vector<std::string> gene_symbols = read.strings(read.at(gene_names, "genes", "symbols"), "genes.symbols", std::size_t(genes), false);
    {
        std::unordered_map<std::string_view, std::size_t> first;
        first.reserve(gene_ids.size());
        for (std::size_t g = 0; g < gene_ids.size(); ++g)
            if (const auto [it, fresh] = first.emplace(gene_ids[g], g); !fresh)
                read.fail("genes.ids[" + std::to_string(g) + "]", "found the gene id \"" + gene_ids[g] + "\" again (first at genes.ids[" +
                                                                 std::to_string(it->second) + "]), expected each id once");
    }
    std::vector<Index> widths{genes};
    widths.insert(widths.end(), o.encoder_sizes.begin(), o.encoder_sizes.end());
    for (auto it = o.encoder_sizes.rbegin() + 1; it != o.encoder_sizes.rend(); ++it) widths.push_back(*it);
    widths.push_back(genes);
    const std::size_t n_layers = widths.size() - 1;
    const auto& weights = read.at(j, "", "weights");
    const std::size_t expected = 2 * n_layers + (o.loss == nn::Loss::negative_binomial ? 1 : 0);
    if (!weights.is_array() || weights.size() != expected)
        read.fail("weights", "expected " + std::to_string(expected) + " weight arrays for this architecture, found " +
                                 Reader::found(weights));
    const auto names = detail::layer_names(n_layers);
    std::vector<Matrix<float>> values;
    const auto weight = [&](std::size_t i, const std::string& name, Index rows, Index cols) {
        values.push_back(read.template matrix<float>(weights[i], "weights[" + std::to_string(i) + "]", weight_spec(name, rows, cols)));
    };
    for (std::size_t i = 0; i < n_layers; ++i) {
        weight(2 * i, names[2 * i], widths[i], widths[i + 1]);
        weight(2 * i + 1, names[2 * i + 1], 1, widths[i + 1]);
    }
    if (o.loss == nn::Loss::negative_binomial) weight(expected - 1, "log_theta", 1, genes);

    ModelFile m{nn::Autoencoder<float>(genes, o), std::move(gene_ids), std::move(gene_symbols), {}, {}, {}, {}, {}, {}, {}, {}};
    for (std::size_t i = 0; i < n_layers; ++i) {
        m.model.layers[i].weight.value = std::move(values[2 * i]);
        m.model.layers[i].bias.value = std::move(values[2 * i + 1]);
    }
    if (o.loss == nn::Loss::negative_binomial) m.model.log_theta.value = std::move(values.back());
    values.clear();

    if (const auto it = j.find("preprocessing"); it != j.end() && !it->is_null()) {
        // Format 1.1 leaves out the preprocessing's target_sum where it is input_transform's;
        // 1.0 files hold both copies, and their own copy is read as it is.
        Json preprocessing = *it;
        if (preprocessing.is_object() && preprocessing.value("format", "") == "scae.preprocessing" && !preprocessing.contains("target_sum") &&
            o.input.target_sum > 0)
            preprocessing["target_sum"] = o.input.target_sum;
        m.preprocessing = read.object(preprocessing, "preprocessing");
    }
    if (const auto it = j.find("history"); it != j.end() && !it->is_null()) m.history = train::history_from_json(*it, read);
    if (const auto it = j.find("reference"); it != j.end() && !it->is_null()) {
        const auto& labels = read.at(*it, "reference", "labels");
        if (!labels.is_array()) read.fail("reference.labels", "expected an array of strings, found " + Reader::found(labels));
        m.reference_labels = read.strings(labels, "reference.labels", labels.size(), true);
        m.reference_latent = read.template matrix<float>(read.at(*it, "reference", "latent"), "reference.latent",
                                                         detail::weight_spec("latent", Index(m.reference_labels.size()), m.model.latent_size()));
        if (const auto fit = it->find("fit"); fit != it->end() && !fit->is_null())
            m.reference_fit = read.template matrix<float>(*fit, "reference.fit", detail::weight_spec("fit", 1, Index(m.reference_labels.size())));
    }
    if (const auto it = j.find("reference_input"); it != j.end() && !it->is_null())
        m.reference_input = detail::reference_input_from_json(*it, read, genes);
    if (const auto it = j.find("reference_meaning"); it != j.end() && !it->is_null())
        m.reference_meaning = detail::reference_meaning_from_json(*it, read, genes, m.model.latent_size());
    if (const auto it = j.find("provenance"); it != j.end() && !it->is_null()) {
        const auto& p = read.object(*it, "provenance");
        if (p.contains("data_path")) m.provenance.data_path = read.string(p["data_path"], "provenance.data_path");
        if (p.contains("cells")) m.provenance.cells = read.integer(p["cells"], "provenance.cells", 0, std::numeric_limits<long long>::max());
        if (p.contains("seed")) m.provenance.seed = read.unsigned_integer(p["seed"], "provenance.seed");
        if (p.contains("created")) m.provenance.created = read.string(p["created"], "provenance.created");
        if (p.contains("extra")) m.provenance.extra = read.object(p["extra"], "provenance.extra");
    }
    return m;
}
} // namespace detail

/// Reads a model from its JSON document; `file` names it in error messages. Every field is
/// type- and range-checked, and the gene list and every weight's shape and data length are
/// checked against the architecture before the network is allocated, so a hostile file can
/// neither crash the reader nor make it allocate more than the document holds.
/// @param j the parsed model file
/// @param file the file name that error messages give
/// @return the model, with everything the document holds
/// @throws Error naming `file` and the field when the document is not a valid model
template <class Json>
ModelFile from_json(const Json& j, const std::string& file = "<model>") {
    try {
        return detail::from_json_checked(j, file);
    } catch (const typename Json::exception& e) {
        fail(file, 0, std::string("malformed model file: ") + e.what()); // a check above missed a case
    }
}

/// Writes `m` to `path` atomically (temporary file, then rename).
/// @param path the file to write (replaced whole: written beside it, then renamed; scae::write_file_atomically)
/// @param m the model
template <class Json = nlohmann::json>
void save_model(const std::string& path, const ModelFile& m) {
    // Names and paths come from users' files and command lines; a byte that is not UTF-8 is
    // written as U+FFFD rather than failing after a whole training run.
    const std::string text = to_json<Json>(m).dump(1, ' ', false, Json::error_handler_t::replace);
    scae::write_file_atomically(path, [&](std::ostream& out) { out << text << '\n'; });
}

/// Reads and validates a model file; every problem is a scae::Error naming the file.
/// @param path a model file written by save_model() or `scae train`
/// @return the validated model
/// @throws Error naming `path` when it cannot be read, is not JSON or is not a valid model
template <class Json = nlohmann::json>
ModelFile load_model(const std::string& path) {
    if (path.empty()) throw Error("the model path is empty; expected a model file (JSON) written by scae train");
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) fail(path, 0, "is a folder, expected a model file (JSON) written by scae train");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, 0, std::string("cannot open model file: ") + std::strerror(errno));
    Json j;
    try {
        j = Json::parse(in);
    } catch (const typename Json::exception& e) {
        // nlohmann's messages start with "[json.exception.parse_error.101] parse error at ...".
        std::string what = e.what();
        if (const std::size_t close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
            what = what.substr(close + 2);
        fail(path, 0, "not valid JSON, expected a model file written by scae train (truncated or damaged?): " + what);
    } catch (const std::exception& e) {
        fail(path, 0, std::string("cannot read model file: ") + e.what());
    }
    return from_json(j, path);
}

/// The current UTC time as ISO 8601, for Provenance::created.
/// @return e.g. "2026-01-31T12:00:00Z"
inline std::string utc_now() {
    std::time_t now = std::time(nullptr);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buffer;
}

} // namespace scae::transfer
