#pragma once
/// @file train_sharded.hpp
/// @brief train_model() when each rank of a train::Communicator holds only its own block of the
/// cells (read with io::read_counts_slab): the preprocessing is fitted from partial sums reduced
/// over the ranks, and training draws its minibatches over all ranks' cells (train::CellShard).
/// Needs no MPI itself (train/mpi.hpp makes the communicator); not part of scae/scae.hpp.

#include "scae/data/sharded_preprocess.hpp"
#include "scae/eval/subsample.hpp"
#include "scae/transfer/spread_cells.hpp"
#include "scae/transfer/train_model.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace scae::transfer {

/// Settings of train_model_sharded() besides the recipe.
struct ShardOptions {
    /// The reference input summary (ModelFile::reference_input) is fitted on every rank from a
    /// seeded subsample of at most this many kept cells, gathered from all ranks (default 5000;
    /// all cells, and then the one-process summary bit for bit, when there are no more). Every
    /// rank holds the subsample's counts twice while it is gathered (as doubles, then as CSR):
    /// about 24 bytes per stored count, 100 MB for 5000 cells of 800 counts over the model genes.
    Index reference_cells = 5000;
};

namespace detail {

/// The label-transfer reference of train_model() (labels, bottleneck activations, fit) made by
/// each rank for its labelled kept cells and gathered on every rank in cell order. `kept` are the
/// block's rows that passed the cell filter; this rank's kept cells are rows [first, first +
/// counts.rows()) of all `total` kept cells.
template <class T>
void keep_sharded_reference(ModelFile& m, const Csr<T>& counts, const std::vector<Index>& kept, const std::vector<std::string>& labels,
                            Index first, Index total, const train::TrainOptions& train_options, const train::Communicator& ranks) {
    std::vector<Index> labelled;
    for (Index k = 0; k < Index(kept.size()); ++k)
        if (!labels.empty() && !labels[std::size_t(kept[std::size_t(k)])].empty()) labelled.push_back(k);
    const Csr<T> reference = data::select_rows(counts, labelled);
    const Index width = m.model.options.encoder_sizes.back();
    Matrix<float> latent = reference.rows() > 0 ? m.model.encode(reference) : Matrix<float>(0, width);
    std::vector<double> deviance(labelled.size());
    const Index step = 4096; // a block's reconstruction (cells x genes) is all that is held
    for (Index at = 0; at < reference.rows(); at += step) {
        Csr<T> part = reference.middleRows(at, std::min(step, reference.rows() - at));
        part.makeCompressed();
        mean_cell_deviance(part, m.model.reconstruct(part), {}, deviance.data() + at);
    }
    // Each labelled cell travels as its row among all kept cells, its fit, its activations and its label's bytes.
    std::vector<double> packed;
    for (std::size_t i = 0; i < labelled.size(); ++i) {
        const std::string& label = labels[std::size_t(kept[std::size_t(labelled[i])])];
        packed.push_back(double(first + labelled[i]));
        packed.push_back(deviance[i]);
        for (Index j = 0; j < width; ++j) packed.push_back(double(latent(Index(i), j)));
        packed.push_back(double(label.size()));
        for (unsigned char ch : label) packed.push_back(double(ch));
    }
    const std::vector<double> all = train::gather_over_ranks(ranks, packed);
    std::vector<Index> rows;
    std::vector<double> fit;
    std::vector<std::vector<float>> activations;
    for (std::size_t at = 0; at < all.size();) {
        rows.push_back(Index(all[at]));
        fit.push_back(all[at + 1]);
        activations.emplace_back(all.begin() + std::ptrdiff_t(at + 2), all.begin() + std::ptrdiff_t(at + 2 + std::size_t(width)));
        at += 2 + std::size_t(width);
        const std::size_t length = std::size_t(all[at++]);
        std::string label;
        for (std::size_t c = 0; c < length; ++c) label.push_back(char(static_cast<unsigned char>(all[at + c])));
        at += length;
        m.reference_labels.push_back(std::move(label));
    }
    m.reference_latent.resize(Index(rows.size()), width);
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (Index j = 0; j < width; ++j) m.reference_latent(Index(i), j) = activations[i][std::size_t(j)];
    m.reference_fit = scaled_reference_fit(fit, rows, train::validation_cells(total, train_options));
}

} // namespace detail

/// train_model() on a data set spread over the ranks of `ranks`: this rank's `block` holds
/// consecutive cells of it (its block of io::read_counts_slab, the blocks of ranks 0, 1, ...
/// following one another). Every rank calls it with its own block and the same recipe, and gets
/// the same model:
/// - the preprocessing (cell filters, gene filter, HVG, median depth) is fitted from partial
///   sums over the ranks (data::RankCells); for counts it equals the recipe one process fits on
///   all cells, bit for bit;
/// - training draws the validation split and the epoch shuffles over all kept cells, as one
///   process does, and each rank trains the cells of every minibatch that it holds
///   (train::CellShard), so the model equals the one-process model within float rounding (the
///   gradients are added in another order), bit for bit on one rank;
/// - the reference input summary is fitted on a gathered subsample (ShardOptions: at most 5000
///   cells; all of them, and the one-process summary, when there are no more);
/// - with `labels`, each rank encodes and scores its labelled cells and every rank gathers all
///   of them (labels, bottleneck activations, fit) in cell order, as train_model() keeps them.
/// @param block      this rank's cells x every gene, with the gene ids and/or symbols; consumed
/// @param recipe     preprocessing, architecture and optimisation (its communicator and shard are replaced)
/// @param ranks      the ranks holding the data set
/// @param data_path  where the data came from, kept in the model's provenance
/// @param labels     one label per cell of `block` ("" for unlabelled), or empty
/// @param options    the reference subsample's size
/// @return the trained model, the same on every rank
/// @throws Error as train_model() does, and when the ranks' gene lists differ
template <class T>
ModelFile train_model_sharded(io::CountMatrix<T>&& block, TrainRecipe recipe, const train::Communicator& ranks,
                              const std::string& data_path = "", const std::vector<std::string>& labels = {},
                              const ShardOptions& options = {}) {
    static_assert(std::is_same_v<T, float>, "train_model_sharded: models are trained on float counts (io::CountMatrix<float>)");
    if (!labels.empty() && Index(labels.size()) != block.cells())
        throw Error("train_model_sharded: " + std::to_string(labels.size()) + " labels for " + std::to_string(block.cells()) + " cells");
    std::vector<std::string> ids = block.gene_ids, symbols = block.gene_symbols;
    if (ids.empty()) ids = symbols;
    if (ids.empty())
        for (Index g = 0; g < block.genes(); ++g) ids.push_back("gene" + std::to_string(g + 1));
    if (symbols.empty()) symbols = ids;
    // Every rank must hold the same genes: compare the gene count and a hash of the ids.
    {
        std::uint64_t h = 0xcbf29ce484222325ULL;
        for (const std::string& id : ids)
            for (unsigned char ch : id + '\n') h = (h ^ ch) * 0x100000001b3ULL;
        const std::vector<double> mine = {double(ids.size()), double(h & 0xffffffffU), double(h >> 32)};
        const std::vector<double> all = train::gather_over_ranks(ranks, mine);
        for (int r = 1; r < ranks.size; ++r)
            if (!std::equal(all.begin(), all.begin() + 3, all.begin() + 3 * r))
                throw Error("train_model_sharded: rank " + std::to_string(r) + " holds other genes than rank 0 (" +
                            std::to_string(static_cast<long long>(all[3 * std::size_t(r)])) + " and " +
                            std::to_string(static_cast<long long>(all[0])) + "); expected blocks of one file");
    }
    const data::RankCells cells{ranks};
    const auto fit = data::fit_preprocessing(block.counts, ids, symbols, recipe.preprocess, cells);
    Csr<T> counts;
    counts.swap(block.counts); // in place, as select_model_counts(Csr&&)
    counts.makeCompressed();
    const bool all_rows = Index(fit.kept_cells.size()) == counts.rows();
    data::detail::keep_in_place(counts, all_rows ? nullptr : &fit.kept_cells, fit.kept_genes);

    // This rank's kept cells are rows [first, first + kept) of all ranks' kept cells.
    const std::vector<double> kept = train::gather_over_ranks(ranks, {double(counts.rows())});
    Index first = 0, total = 0;
    for (int r = 0; r < ranks.size; ++r) {
        if (r < ranks.rank) first += Index(kept[std::size_t(r)]);
        total += Index(kept[std::size_t(r)]);
    }
    nn::AutoencoderOptions model_options = recipe.model;
    model_options.seed = recipe.train.seed; // one seed for the model, as train_model
    model_options.input.log1p = fit.preprocessing.log1p;
    model_options.input.target_sum = recipe.normalize ? fit.preprocessing.target_sum : 0.0;
    ModelFile m{nn::Autoencoder<float>(counts.cols(), model_options), fit.preprocessing.gene_ids, fit.preprocessing.gene_symbols,
                fit.preprocessing, {}, {}, {}, {}, {}, {}, {}};
    recipe.train.communicator = ranks;
    recipe.train.shard = {first, total};
    m.history = train::fit(m.model, counts, recipe.train);

    // The reference input summary, on a seeded subsample of all ranks' kept cells.
    ReferenceInputOptions summary = recipe.reference_input;
    summary.seed = derive_seed(recipe.train.seed, 11);
    Rng rng(derive_seed(recipe.train.seed, 12));
    std::vector<Index> chosen;
    for (Index row : eval::random_subsample(total, std::max<Index>(1, options.reference_cells), rng))
        if (row >= first && row < first + counts.rows()) chosen.push_back(row - first);
    if (ranks.size == 1 && Index(chosen.size()) == counts.rows()) {
        m.reference_input = fit_reference_input(counts, m.model.options.input, summary); // as train_model(), no copy
    } else {
        const Csr<T> sample = ranks.size == 1 ? data::select_rows(counts, chosen) : gather_rows_over_ranks(counts, chosen, ranks);
        m.reference_input = fit_reference_input(sample, m.model.options.input, summary);
    }
    std::vector<double> any_labels{labels.empty() ? 0.0 : 1.0};
    if (ranks.size > 1) ranks.sum(any_labels); // a rank with no cell has no labels either
    if (any_labels[0] > 0) detail::keep_sharded_reference(m, counts, fit.kept_cells, labels, first, total, recipe.train, ranks);
    m.provenance.data_path = data_path;
    m.provenance.cells = total;
    m.provenance.seed = recipe.train.seed;
    m.provenance.created = utc_now();
    return m;
}

} // namespace scae::transfer
