// Sharded training without MPI: R threads stand for R ranks, each holding its own block of the
// cells, with a train::Communicator whose sum adds every rank's values in rank order (as
// train/mpi.hpp does). The preprocessing fitted from the ranks' partial sums must equal the
// one-process fit bit for bit; a sharded fit on one rank must equal the unsharded fit bit for
// bit, and on several ranks agree with it within float rounding.
#include <doctest/doctest.h>

#include "support.hpp"
#include "thread_ranks.hpp"

#include <scae/data/sharded_preprocess.hpp>
#include <scae/data/simulate.hpp>
#include <scae/transfer/train_sharded.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace test_train_sharded {

namespace {

using namespace scae;

using ThreadRanks = scae_testing::ThreadRanks;


/// Rows [first, first + count) of `m`, compressed.
Csr<float> block_of(const Csr<float>& m, const io::RowRange& rows) {
    Csr<float> out = m.middleRows(rows.first, rows.count);
    out.makeCompressed();
    return out;
}

data::SimulatedTissue tissue(Index cells, Index genes, std::uint64_t seed) {
    data::SimulationOptions o;
    o.n_genes = genes;
    o.n_programs = 4;
    o.program_size = 10;
    o.n_tissues = 1;
    o.cell_types_per_tissue = 3;
    o.shared_cell_types = 2;
    o.shared_program_fraction = 1.0;
    o.cells_per_tissue = cells;
    o.n_decoy_sets = 0;
    o.seed = seed;
    o.threads = 1;
    return data::simulate(o).tissues[0];
}

bool same_bits(const Matrix<float>& a, const Matrix<float>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && std::equal(a.data(), a.data() + a.size(), b.data());
}

} // namespace

TEST_CASE("a sum in rank order and a gather made from it, over thread ranks") {
    for (int size : {1, 2, 3}) {
        ThreadRanks world(size);
        std::vector<std::vector<double>> gathered(static_cast<std::size_t>(size)), summed(static_cast<std::size_t>(size));
        world.run([&](int rank) {
            const train::Communicator c = world.at(rank);
            std::vector<double> mine(std::size_t(rank + 1), double(rank) + 0.5); // rank r: r + 1 values
            gathered[std::size_t(rank)] = train::gather_over_ranks(c, mine);
            std::vector<double> values = {0.1 * rank, 1.0, -2.0 * rank};
            if (size > 1) c.sum(values);
            summed[std::size_t(rank)] = values;
        });
        std::vector<double> expected;
        for (int r = 0; r < size; ++r) expected.insert(expected.end(), std::size_t(r + 1), double(r) + 0.5);
        for (int r = 0; r < size; ++r) {
            CHECK(gathered[std::size_t(r)] == expected);
            CHECK(summed[std::size_t(r)] == summed[0]);
        }
    }
}

TEST_CASE("the median and order statistics over ranks equal those of all values together") {
    std::vector<double> all;
    Rng rng(5);
    for (int i = 0; i < 101; ++i) all.push_back(std::floor(rng.uniform() * 40) - 10); // repeats and negatives
    all.push_back(0.0);
    for (int size : {1, 2, 3, 4}) {
        for (std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(7), all.size()}) {
            ThreadRanks world(size);
            std::vector<double> medians(static_cast<std::size_t>(size)), lowest(static_cast<std::size_t>(size));
            world.run([&](int rank) {
                const train::Communicator c = world.at(rank);
                const std::vector<double> mine(all.begin() + std::ptrdiff_t(n * std::size_t(rank) / std::size_t(size)),
                                               all.begin() + std::ptrdiff_t(n * std::size_t(rank + 1) / std::size_t(size)));
                medians[std::size_t(rank)] = data::median_over_ranks(mine, c);
                lowest[std::size_t(rank)] = data::kth_over_ranks(mine, {0}, c)[0];
            });
            const std::vector<double> values(all.begin(), all.begin() + std::ptrdiff_t(n));
            INFO(size << " ranks, " << n << " values");
            for (int r = 0; r < size; ++r) {
                CHECK(medians[std::size_t(r)] == data::median(values));
                CHECK(lowest[std::size_t(r)] == *std::min_element(values.begin(), values.end()));
            }
        }
    }
    ThreadRanks one(1);
    CHECK_THROWS_WITH_AS(data::median_over_ranks({}, one.at(0)), doctest::Contains("no values"), Error);
}

TEST_CASE("preprocessing fitted from the ranks' partial sums equals the one-process fit, bit for bit") {
    const data::SimulatedTissue t = tissue(403, 150, 3);
    for (const data::HvgFlavor flavor : {data::HvgFlavor::seurat_v3, data::HvgFlavor::dispersion}) {
        data::PreprocessOptions options;
        options.min_counts_per_cell = 1200; // drops some cells on every rank
        options.min_genes_per_cell = 20;
        options.min_cells_per_gene = 5;
        options.hvg.flavor = flavor;
        options.hvg.n_top_genes = 60;
        const data::PreprocessingFit one = data::fit_preprocessing(t.counts, t.gene_ids, t.gene_symbols, options);
        REQUIRE(one.kept_cells.size() < std::size_t(t.counts.rows()));
        for (int size : {1, 2, 3}) {
            INFO(size << " ranks, flavour " << int(flavor));
            ThreadRanks world(size);
            std::vector<data::PreprocessingFit> fits(static_cast<std::size_t>(size));
            world.run([&](int rank) {
                const train::Communicator c = world.at(rank);
                const io::RowRange rows = io::SlabOptions{rank, size}.range(t.counts.rows());
                fits[std::size_t(rank)] = data::fit_preprocessing(block_of(t.counts, rows), t.gene_ids, t.gene_symbols, options, data::RankCells{c});
            });
            std::vector<Index> kept;
            for (int r = 0; r < size; ++r) {
                const data::PreprocessingFit& f = fits[std::size_t(r)];
                CHECK(f.kept_genes == one.kept_genes);
                CHECK(f.preprocessing.gene_ids == one.preprocessing.gene_ids);
                CHECK(f.preprocessing.summary.cells_in == one.preprocessing.summary.cells_in);
                CHECK(f.preprocessing.summary.cells_kept == one.preprocessing.summary.cells_kept);
                CHECK(f.preprocessing.summary.genes_after_filter == one.preprocessing.summary.genes_after_filter);
                CHECK(f.preprocessing.target_sum == one.preprocessing.target_sum); // exact: an order statistic of whole numbers
                const Index first = io::SlabOptions{r, size}.range(t.counts.rows()).first;
                for (Index row : f.kept_cells) kept.push_back(row + first);
            }
            CHECK(kept == one.kept_cells);
        }
    }
}

TEST_CASE("a sharded fit on one rank is the unsharded fit bit for bit; on 2 and 3 ranks it agrees within rounding") {
    const data::SimulatedTissue t = tissue(301, 40, 8);
    train::TrainOptions o = scae_test::quick_training(3, 32);
    o.threads = 1;
    nn::Autoencoder<float> reference(t.counts.cols(), scae_test::small_architecture({12, 4}));
    nn::Autoencoder<float> start = reference;
    const train::History one = train::fit(reference, t.counts, o);
    for (int size : {1, 2, 3}) {
        INFO(size << " ranks");
        ThreadRanks world(size);
        std::vector<nn::Autoencoder<float>> models(std::size_t(size), start);
        std::vector<train::History> histories(static_cast<std::size_t>(size));
        world.run([&](int rank) {
            train::TrainOptions mine = o;
            mine.communicator = world.at(rank, size == 3); // 3 ranks: the gather is MPI-like; else made from the sum
            const io::RowRange rows = io::SlabOptions{rank, size}.range(t.counts.rows());
            mine.shard = {rows.first, t.counts.rows()};
            histories[std::size_t(rank)] = train::fit(models[std::size_t(rank)], block_of(t.counts, rows), mine);
        });
        for (int r = 0; r < size; ++r) {
            const train::History& h = histories[std::size_t(r)];
            REQUIRE(h.epochs.size() == one.epochs.size());
            CHECK(h.train_cells == one.train_cells);
            CHECK(h.validation_cells == one.validation_cells);
            const auto a = models[std::size_t(r)].parameters(), b = reference.parameters();
            for (std::size_t e = 0; e < one.epochs.size(); ++e) {
                if (size == 1) {
                    CHECK(h.epochs[e].train_loss == one.epochs[e].train_loss);
                    CHECK(h.epochs[e].validation_loss == one.epochs[e].validation_loss);
                } else {
                    CHECK(h.epochs[e].train_loss == doctest::Approx(one.epochs[e].train_loss).epsilon(1e-5));
                    CHECK(h.epochs[e].validation_loss == doctest::Approx(one.epochs[e].validation_loss).epsilon(1e-5));
                }
            }
            for (std::size_t p = 0; p < a.size(); ++p) {
                if (size == 1) {
                    CHECK(same_bits(a[p]->value, b[p]->value));
                } else {
                    const double gap = (a[p]->value - b[p]->value).cwiseAbs().maxCoeff();
                    CHECK(gap < 1e-4);
                    CHECK(same_bits(a[p]->value, models[0].parameters()[p]->value)); // every rank the same bits
                }
            }
        }
    }
}

TEST_CASE("sharded training refuses blocks that do not follow one another, on every rank") {
    const data::SimulatedTissue t = tissue(60, 60, 2);
    ThreadRanks world(2);
    std::vector<std::string> errors(2);
    world.run([&](int rank) {
        train::TrainOptions o = scae_test::quick_training(1, 16);
        o.communicator = world.at(rank);
        o.shard = {rank == 0 ? 0 : 31, 60}; // rank 1 should start at row 30
        nn::Autoencoder<float> model(t.counts.cols(), scae_test::small_architecture({8, 2}));
        try {
            train::fit(model, block_of(t.counts, io::SlabOptions{rank, 2}.range(60)), o);
        } catch (const Error& e) {
            errors[std::size_t(rank)] = e.what();
        }
    });
    for (const std::string& e : errors) CHECK(e.find("rank 1 holds cells from row 31 of 60, expected row 30") != std::string::npos);
}

TEST_CASE("train_model_sharded: one rank gives train_model's model bit for bit, two ranks its recipe and nearly its weights, with labels") {
    const data::SimulatedTissue t = tissue(257, 120, 4);
    io::CountMatrix<float> data;
    data.counts = t.counts;
    data.gene_ids = t.gene_ids;
    data.gene_symbols = t.gene_symbols;
    data.barcodes = t.barcodes;
    transfer::TrainRecipe recipe;
    recipe.preprocess.hvg.n_top_genes = 50;
    recipe.preprocess.min_counts_per_cell = 1500;
    recipe.model = scae_test::small_architecture({12, 4});
    recipe.train = scae_test::quick_training(2, 32);
    recipe.train.threads = 1;
    std::vector<std::string> labels = t.cell_types;
    for (std::size_t c = 0; c < labels.size(); c += 3) labels[c].clear(); // a third unlabelled
    transfer::ModelFile one = transfer::train_model(data, recipe, "", labels);
    REQUIRE(one.reference_labels.size() > 10);
    for (int size : {1, 2}) {
        INFO(size << " ranks");
        ThreadRanks world(size);
        std::vector<std::optional<transfer::ModelFile>> out(static_cast<std::size_t>(size));
        world.run([&](int rank) {
            const io::RowRange rows = io::SlabOptions{rank, size}.range(data.cells());
            io::CountMatrix<float> block = data;
            block.counts = block_of(data.counts, rows);
            block.barcodes.assign(data.barcodes.begin() + rows.first, data.barcodes.begin() + rows.first + rows.count);
            const std::vector<std::string> mine(labels.begin() + rows.first, labels.begin() + rows.first + rows.count);
            out[std::size_t(rank)].emplace(transfer::train_model_sharded(std::move(block), recipe, world.at(rank), "", mine));
        });
        for (int r = 0; r < size; ++r) {
            transfer::ModelFile& m = *out[std::size_t(r)];
            CHECK(m.gene_ids == one.gene_ids);
            CHECK(m.preprocessing == one.preprocessing);
            CHECK(m.provenance.cells == one.provenance.cells);
            CHECK(m.history.train_cells == one.history.train_cells);
            // Every cell is in the reference summary's sample (fewer than ShardOptions::reference_cells).
            CHECK(m.reference_input.mean == one.reference_input.mean);
            CHECK(m.reference_labels == one.reference_labels);
            REQUIRE(m.reference_latent.rows() == one.reference_latent.rows());
            REQUIRE(m.reference_fit.size() == one.reference_fit.size());
            if (size == 1) {
                CHECK(same_bits(m.reference_latent, one.reference_latent));
                CHECK(m.reference_fit == one.reference_fit);
            } else {
                CHECK((m.reference_latent - one.reference_latent).cwiseAbs().maxCoeff() < 1e-3);
                CHECK((m.reference_fit - one.reference_fit).cwiseAbs().maxCoeff() < 1e-3 * one.reference_fit.cwiseAbs().maxCoeff());
            }
            const auto a = m.model.parameters();
            const auto b = one.model.parameters();
            for (std::size_t p = 0; p < a.size(); ++p) {
                if (size == 1) {
                    CHECK(same_bits(a[p]->value, b[p]->value));
                } else {
                    CHECK((a[p]->value - b[p]->value).cwiseAbs().maxCoeff() < 1e-4);
                }
            }
        }
    }
}

} // namespace test_train_sharded
