#pragma once
/// @file pathways.hpp
/// @brief `scae pathways`: saliency of every bottleneck node of a saved model on new data,
/// mapped to gene sets with a permutation null, written as tables and a heatmap.

#include "scae/cli/embed.hpp"
#include "scae/cli/node_meaning.hpp"
#include "scae/interpret/pathway_report.hpp"
#include "scae/io/gmt.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>

#include <nlohmann/json.hpp>

namespace scae::cli {

/// Usage text of `scae pathways`.
/// @return the usage text, ending in a newline
inline std::string pathways_usage() {
    return std::string("usage: scae pathways --model MODEL.json --data DIR --gmt FILE --out DIR [options]\n"
           "\n"
           "Computes the attribution of every bottleneck node to every gene of DIR (genes aligned to the\n"
           "model), scores each node against each gene set of FILE (GMT; symbols matched ignoring case)\n"
           "against random gene sets of the same size, and writes into DIR:\n"
           "  scores.tsv      node, set, score, z, p, q, presence, n_genes, permutations (nodes from 0;\n"
           "                  no permutations under the rank-sum test; presence near 1: the set's genes\n"
           "                  are up where the node is raised, near 0: their absence raises it)\n"
           "  top_genes.tsv   each node's genes by the attribution the scores rank (see --weighting)\n"
           "  heatmap.svg     pathways x nodes with a significant call: score over random sets, scaled per\n"
           "                  pathway (with no call, a line saying so)\n"
           "  node_calls.tsv  with --groups: each group's best node (highest AUC), its top sets and top genes\n"
           "  contrasts.tsv   with --groups: each group's score minus the score of the other cells, for\n"
           "                  the --contrast-rows pairs of largest difference per group\n"
           "  node_activity.tsv  with --groups: each node's activation per group and its AUC (group vs rest)\n"
           + node_meaning_usage() +
           "                  (with such a model node_calls.tsv adds training_set, meaning, coordination\n"
           "                  and tracking)\n"
           "and prints a JSON summary.\n"
           "\n"
           "The default: integrated gradients from the mean cell, averaged over cells with each cell's\n"
           "weight for the node (how far it raises the node), genes ranked by it, each set's rank AUC\n"
           "with the rank-sum test's p (--null confirmed keeps only the calls that a second test,\n"
           "against random sets of genes of the same expression levels, confirms).\n"
           "--reference runs Kinalis et al. (2019): guided backprop, the median score and a per-set\n"
           "permutation null (docs/interpretation.md compares them).\n"
           "\n"
           "options:\n"
           "  --reference         the reference method; the options below still override its parts\n"
           "  --method M          ig (default), guided (the reference's), vanilla or gradxinput\n"
           "  --baseline B        integrated gradients: mean (default: the mean cell), zeros, or depth\n"
           "                      (the mean cell at each cell's depth, where the model sees depth)\n"
           "  --weighting W       activity (default: signed attribution weighted by how far each cell\n"
           "                      raises the node) or uniform (mean |saliency| over cells, the reference's)\n"
           "  --score S           rank_auc (default: the set's genes against all others in the node's\n"
           "                      ranking) or median (mean over cells of the median |saliency| of the\n"
           "                      set's genes; uniform weighting only); gradxinput and ig from zeros\n"
           "                      need rank_auc where most genes are unexpressed\n"
           "  --null N            rank-sum (default with rank_auc: the rank-sum test against random sets\n"
           "                      of the size; exact, no floor; also calls sets of merely abundant genes),\n"
           "                      confirmed (rank-sum, each call then confirmed by matched over the\n"
           "                      called pairs), matched (the rank-sum test against\n"
           "                      random sets holding as many genes of each expression stratum as the\n"
           "                      set; specific, but weak for cell-type markers, which are abundant),\n"
           "                      per-set (each pair's own random sets; p >= 1/(1+draws); default with\n"
           "                      median) or pooled (the null z-scores of all pairs together)\n"
           "  --expression-strata N  matched and confirmed nulls: strata of genes by mean model input\n"
           "                      (default 10)\n"
           "  --groups FILE       barcode<TAB>label per cell, or obs:COLUMN of an .h5ad: one contrast per label\n"
           "  --permutations N    per-set and pooled nulls: random sets per node and set size (default 1000)\n"
           "  --max-permutations N  per-set null: pairs that may still be significant after N draws keep\n"
           "                      drawing up to this many, so p resolves to 1/(1+N) (default 0: no more)\n"
           "  --seed S            null sets and cell subsample (default 42)\n"
           "  --min-genes N       sets with fewer model genes are skipped (default 10)\n"
           "  --min-coverage F    fraction of model genes that must be found in DIR (default 0.5)\n"
           "  --duplicate-genes P repeated gene ids in DIR: error (default), unique (id.1, id.2, ...) or first\n"
           "  --max-cells N       score a seeded subsample of at most N cells; 0: all (default 5000)\n"
           "  --test-cells N      run the permutation test on at most N of them; 0: all (default 500)\n"
           "  --silent F          nodes whose activation sd is below F x the median node's are silent:\n"
           "                      scored, but left out of the q-values (q = NaN; default 0.05; 0: none);\n"
           "                      a node that marks a group with AUC >= 0.9 is never silent\n"
           "  --normalize-genes   divide each gene's attribution by its mean |saliency| over all nodes and\n"
           "                      cells before scoring (on with --reference)\n"
           "  --raw               do not (the default; with --reference: the paper's raw score)\n"
           "  --steps N           integrated gradients: path points, 1..10000 (default 64)\n"
           "  --top-genes N       genes per node in top_genes.tsv (default 20)\n"
           "  --contrast-rows N   node x set pairs per group in contrasts.tsv, largest difference first;\n"
           "                      0: every pair (default 100)\n"
           "  --alpha A           q-value threshold of a significant call, in (0, 1] (default 0.05)\n"
           "  --threads T         OpenMP threads, at most the hardware threads (default 0: all)\n"
           "  --shard             under mpirun -np R: each rank reads only its block of the cells of an .h5ad or\n"
           "                      Cell Ranger .h5; the --max-cells subsample (drawn over all cells, as without\n"
           "                      --shard) is gathered and rank 0 scores it: the report one process writes\n"
           "  --help              print this text\n") + missing_genes_usage() + input_options_usage();
}

namespace detail {

/// The pathway options the command line asks for; throws UsageError for a bad value.
inline interpret::PathwayOptions pathway_options(const Args& a) {
    interpret::PathwayOptions o = a.has("reference") ? interpret::reference_pathway_options() : interpret::PathwayOptions{};
    o.threads = a.threads(); // checked in every build, used where OpenMP is
    o.saliency.method = a.choice("method", interpret::method_names, o.saliency.method);
    o.weighting = a.choice("weighting", interpret::cell_weighting_names, o.weighting);
    o.score = a.choice("score", interpret::set_score_names, o.score);
    o.null = a.choice("null", interpret::null_distribution_names, o.null);
    o.saliency.baseline = a.choice("baseline", interpret::baseline_names, o.saliency.baseline);
    // The defaults follow the score: a median score asked for alone takes the reference's
    // uniform weighting and per-set null, which are all it can take.
    if (o.score == interpret::SetScore::median_saliency) {
        if (!a.has("weighting")) o.weighting = interpret::CellWeighting::uniform;
        if (!a.has("null") && interpret::is_rank_sum(o.null)) o.null = interpret::NullDistribution::per_set;
        if (interpret::is_rank_sum(o.null)) throw UsageError("--null " + interpret::to_string(o.null) + " needs --score rank_auc");
        if (o.weighting == interpret::CellWeighting::activity) throw UsageError("--weighting activity needs --score rank_auc");
    }
    o.saliency.steps = int(a.integer("steps", o.saliency.steps, 1, 10000));
    o.permutations = std::size_t(a.integer("permutations", static_cast<long long>(o.permutations), 1, 10000000));
    o.max_permutations = std::size_t(a.integer("max-permutations", static_cast<long long>(o.max_permutations), 0, 100000000));
    o.seed = std::uint64_t(a.integer("seed", static_cast<long long>(o.seed)));
    o.expression_strata = int(a.integer("expression-strata", o.expression_strata, 1, 1000));
    o.min_genes = std::size_t(a.integer("min-genes", static_cast<long long>(o.min_genes), 1, 10000000));
    o.max_cells = Index(a.integer("max-cells", o.max_cells));
    o.test_cells = Index(a.integer("test-cells", o.test_cells));
    if (a.has("raw") && a.has("normalize-genes")) throw UsageError("--raw and --normalize-genes contradict each other");
    if (a.has("raw")) o.normalize_genes = false;
    if (a.has("normalize-genes")) o.normalize_genes = true;
    o.silent_fraction = a.number("silent", o.silent_fraction, 0, 1000);
    return o;
}

} // namespace detail

/// Runs `scae pathways` with `args` (without the program and subcommand names). Writes the
/// files into --out (created if needed), prints a JSON summary on `out` and the gene alignment
/// on `err`; returns 0, 1 for input that cannot be used, 2 for a bad command line.
/// @param args  the words after "pathways"
/// @param out  where the JSON summary prints
/// @param err  where the gene alignment and errors print
/// @return the exit code (Exit)
inline int pathways(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    return guarded("pathways", args, pathways_usage(), out, err, [&] {
        const Args a(args, with_input_options({"model", "data", "gmt", "out", "method", "score", "groups", "permutations", "null", "seed", "min-genes",
                            "max-cells", "test-cells", "steps", "baseline", "top-genes", "contrast-rows", "alpha", "threads", "min-coverage", "silent",
                            "duplicate-genes", "weighting", "max-permutations", "expression-strata", "missing-genes"}),
                     with_input_flags({"raw", "normalize-genes", "reference", "shard"}));
        interpret::PathwayOptions options = detail::pathway_options(a);
        interpret::PathwayReportOptions report;
        report.top_genes = std::size_t(a.integer("top-genes", static_cast<long long>(report.top_genes), 1, 1000000));
        report.alpha = a.positive_number("alpha", report.alpha, 1);
        options.alpha = report.alpha; // the confirmed null confirms the calls made at this threshold
        report.contrast_rows = std::size_t(a.integer("contrast-rows", static_cast<long long>(report.contrast_rows), 0, 1000000000));
        const std::string gmt = a.required("gmt"),
                          out_dir = output_folder(a, "out", {a.required("model"), a.required("data"), gmt, a.get("groups", "")});
        const bool sharded = a.has("shard");
        if (sharded && options.max_cells <= 0)
            throw UsageError("--shard scores a subsample gathered from the ranks: --max-cells must be at least 1 (default 5000), "
                             "not 0 (every cell on one rank)");
        const ThreadScope thread_scope(options.threads); // reading and the finiteness check as well as the scoring
        const auto start = std::chrono::steady_clock::now();
        const train::Communicator ranks = sharded ? world_ranks() : train::Communicator{};
        AlignedInput in = sharded ? load_aligned(a, read_data_block(a, err, ranks.rank, ranks.size).data) : load_aligned(a, err);
        if (ranks.rank == 0) err << alignment_line(in) << "\n";
        const io::GeneSets sets = io::read_gmt(gmt);
        { // a model whose activations overflow would give NaN scores with exit code 0
            const Csr<float> head = in.counts.topRows(std::min<Index>(in.counts.rows(), 2000));
            require_finite(in.model.model.encode(head), a.required("model"), "bottleneck activations");
        }
        std::vector<Index> chosen; // --shard: the cells scored, among all of them
        if (sharded) {
            // The subsample one process scores (interpret::choose_cells over all cells), gathered
            // on every rank with its cells' names; rank 0 scores it as one process scores it.
            const transfer::SpreadCells cells = transfer::spread_cells(ranks, in.counts.rows());
            chosen = interpret::choose_cells(cells.total, options.max_cells, options.seed);
            Csr<float> sample = cells.gather(in.counts, chosen);
            std::vector<std::string> names;
            for (Index c : chosen)
                if (c >= cells.first && c < cells.first + Index(in.data.barcodes.size())) names.push_back(in.data.barcodes[std::size_t(c - cells.first)]);
            in.data.barcodes = transfer::gather_strings_over_ranks(names, ranks);
            in.counts.swap(sample);
            if (ranks.rank != 0) return int(ok);
        }
        std::vector<std::string> groups;
        if (a.has("groups")) groups = read_cell_labels(a.required("groups"), in.data.barcodes, a.required("data"));
        interpret::PathwayResult result =
            interpret::score_pathways(in.model.model, in.counts, in.model.gene_symbols, sets.sets, options, groups);
        // A model named on its training tissue (scae train --gmt): which nodes keep that meaning
        // here, on the rows scored (under --shard, every row of the gathered sample).
        std::vector<Index> scored = result.cells;
        if (sharded) std::iota(scored.begin(), scored.end(), Index(0));
        const std::vector<interpret::NodeMeaning> meanings = node_meanings(in, scored);
        if (sharded) result.cells = chosen; // rows among all cells, as one process reports them
        report::ReportFolder folder(out_dir, {a.required("model"), a.required("data"), gmt, a.get("groups", "")});
        // Written into a temporary folder (errors name out_dir), moved into out_dir once whole.
        folder.write([&](const std::string& dir) {
            interpret::write_pathway_report(dir, result, in.model.gene_symbols, report, meanings);
            write_node_support(dir + "/node_support.tsv", in.node_support);
        });
        folder.commit();

        std::size_t significant = 0;
        for (Index i = 0; i < result.q.size(); ++i) significant += result.q.data()[i] < report.alpha;
        nlohmann::json summary = {
            {"command", "pathways"},
            {"method", interpret::to_string(result.method)},
            {"weighting", interpret::to_string(result.weighting)},
            {"score", interpret::to_string(result.score_kind)},
            {"cells", result.cells.size()},
            {"test_cells", result.test_cells},
            {"normalize_genes", options.normalize_genes},
            {"null", interpret::to_string(result.null)},
            {"nodes", result.score.rows()},
            {"sets_scored", result.sets.size()},
            {"sets_too_small", result.too_small.size()},
            {"sets_covering_all_genes", result.covering.size()},
            {"significant_calls", significant},
            {"alpha", report.alpha},
            {"gene_coverage", in.alignment.coverage},
            {"missing_genes", transfer::to_string(in.missing_genes.method)},
            {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
            {"out", out_dir}};
        if (result.null == interpret::NullDistribution::pooled) summary["pooled_null_draws"] = result.pooled_draws;
        if (!result.stratum.empty()) summary["expression_strata"] = options.expression_strata;
        if (result.null == interpret::NullDistribution::per_set) {
            const std::size_t floor = interpret::pairs_at_p_floor(result);
            summary["pairs_at_p_floor"] = floor;
            const Index tested = Index(result.q.size()) - Index(result.silent.size()) * result.q.cols();
            if (floor > 0)
                err << "scae pathways: " << floor << " of " << tested << " tested pairs have p = 1/(1 + permutations), the smallest "
                    << options.permutations << " random sets allow; more permutations may lower their q (scae pathways --permutations "
                    << "10000: sets that cannot become significant stop drawing early), as may scae pathways --null pooled\n";
        }
        for (const interpret::MatchedSet& set : result.covering)
            err << "scae pathways: note: skipped the set " << set.name << ", which holds every model gene: with no gene outside it, "
                << "it cannot be ranked against the others or compared with random sets\n";
        const std::vector<Index>& silent = result.silent;
        summary["silent_nodes"] = silent;
        if (!meanings.empty()) summary["node_meaning"] = meaning_summary(in.model.reference_meaning, meanings);
        if (!in.node_support.empty()) { // nodes resting too much on genes the data lack: their names are in doubt
            std::vector<Index> untrusted;
            for (std::size_t k = 0; k < in.node_support.size(); ++k)
                if (!in.node_support[k].trusted) untrusted.push_back(Index(k));
            summary["untrusted_nodes"] = untrusted;
        }
        if (!result.activity.groups.empty()) { // the nodes each group activates most (AUC >= activity_auc), silent ones aside
            nlohmann::json nodes = nlohmann::json::object();
            for (const std::string& g : result.activity.groups) nodes[g] = nlohmann::json::array();
            for (Index k = 0; k < result.score.rows(); ++k)
                if (const std::string g = interpret::most_active_group(result.activity, k, report.activity_auc);
                    !g.empty() && std::find(silent.begin(), silent.end(), k) == silent.end())
                    nodes[g].push_back(k);
            summary["nodes_by_group"] = nodes;
            // The node calls in brief: each group's best node, AUC, top set and its q.
            nlohmann::json calls = nlohmann::json::array();
            for (const interpret::NodeCall& c : interpret::node_calls(result, {1, 0})) {
                nlohmann::json call = {{"group", c.group}, {"node", c.node}, {"auc", c.auc}};
                if (!c.sets.empty()) {
                    const Index j = c.sets.front();
                    call["top_set"] = result.sets[std::size_t(j)].name;
                    call["z"] = result.z(c.node, j);
                    if (const double q = result.q(c.node, j); std::isfinite(q)) call["q"] = q;
                    else call["q"] = nullptr;
                    // Which way the set raises the node: its genes' presence (near 1) or absence (near 0).
                    if (result.presence.size() > 0 && std::isfinite(result.presence(c.node, j))) call["presence"] = result.presence(c.node, j);
                    else call["presence"] = nullptr;
                }
                if (!meanings.empty() && c.node >= 0) call["meaning"] = interpret::to_string(meanings[std::size_t(c.node)].meaning);
                calls.push_back(call);
            }
            summary["node_calls"] = calls;
        }
        out << summary.dump() << "\n";
        return int(ok);
    });
}

} // namespace scae::cli
