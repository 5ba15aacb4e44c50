#pragma once
/// @file name_nodes.hpp
/// @brief A model's nodes named on its training cells, kept for node_meaning.hpp: each node's
/// top set by z (score_pathways()) and that set's coordinated component there.

#include "scae/interpret/node_meaning.hpp"
#include "scae/interpret/pathways.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace scae::interpret {

/// Each node's NodeProgramme on its training cells: its top set by z in `r` names it when that
/// set's q is below `alpha` (silent nodes, whose q is NaN, stay unnamed), and the set's
/// coordinated component is taken on the cells `r` analysed (see the file comment).
/// @param model  the model `r` was scored for
/// @param counts  the training counts `r` was scored on, cells x genes in model gene order
/// @param r  score_pathways() on the training cells
/// @param gene_sets  the gene-set file's name, kept for messages
/// @param alpha  the q below which a set names its node, in (0, 1]
/// @return one NodeProgramme per node
/// @throws Error when `counts` does not fit the model or `r`, or alpha is out of range
template <class T>
ReferenceMeaning reference_meaning(const nn::Autoencoder<T>& model, const Csr<T>& counts, const PathwayResult& r, const std::string& gene_sets,
                                   double alpha) {
    if (!(alpha > 0 && alpha <= 1)) throw Error("reference_meaning: alpha must be in (0, 1], got " + std::to_string(alpha));
    if (r.z.rows() != model.latent_size()) throw Error("reference_meaning: the scores cover " + std::to_string(r.z.rows()) + " nodes, the model has " + std::to_string(model.latent_size()));
    if (r.cells.size() < 3) throw Error("reference_meaning: the scores were taken on " + std::to_string(r.cells.size()) + " cells; at least 3 are needed");
    ReferenceMeaning out;
    out.gene_sets = gene_sets;
    out.alpha = alpha;
    out.cells = Index(r.cells.size());
    out.nodes.resize(std::size_t(r.z.rows()));
    const auto [input, activation] = detail::input_and_activation(model, counts, r.cells);
    struct Component { std::vector<Index> genes; Vector<double> w; double eigenvalue = 0; Matrix<double> z; };
    std::map<Index, Component> components; // per set column: several nodes often share a set
    for (Index k = 0; k < r.z.rows(); ++k) {
        Index best = -1;
        for (Index j = 0; j < r.z.cols(); ++j)
            if (std::isfinite(r.z(k, j)) && (best < 0 || r.z(k, j) > r.z(k, best))) best = j;
        if (best < 0 || !(r.q(k, best) < alpha)) continue;
        auto it = components.find(best);
        if (it == components.end()) {
            Component c;
            Matrix<double> x = detail::set_input(input, r.sets[std::size_t(best)].genes);
            const std::vector<bool> varies = detail::standardise(x);
            std::vector<Index> kept;
            for (std::size_t g = 0; g < varies.size(); ++g)
                if (varies[g]) {
                    c.genes.push_back(r.sets[std::size_t(best)].genes[g]);
                    kept.push_back(Index(g));
                }
            c.z.resize(x.rows(), Index(kept.size()));
            for (std::size_t g = 0; g < kept.size(); ++g) c.z.col(Index(g)) = x.col(kept[g]);
            if (kept.size() >= 2) {
                const Matrix<double> cor = c.z.transpose() * c.z / double(x.rows() - 1);
                const Eigen::SelfAdjointEigenSolver<Matrix<double>> eigen(cor);
                c.w = eigen.eigenvectors().col(cor.rows() - 1);
                c.eigenvalue = eigen.eigenvalues()(cor.rows() - 1);
            }
            it = components.emplace(best, std::move(c)).first;
        }
        const Component& c = it->second;
        NodeProgramme& p = out.nodes[std::size_t(k)];
        p.set = r.sets[std::size_t(best)].name;
        p.q = r.q(k, best);
        p.genes = c.genes;
        p.edge = std::pow(1 + std::sqrt(double(c.genes.size()) / double(r.cells.size())), 2);
        if (c.w.size() == 0) continue; // fewer than two varying genes: no component, untested
        p.eigenvalue = c.eigenvalue;
        Vector<double> w = c.w;
        p.r = activation_correlation(Matrix<double>(activation.col(k)), Matrix<double>(c.z * w))(0, 0);
        if (p.r < 0) {
            w = -w;
            p.r = -p.r;
        }
        p.loadings.assign(w.data(), w.data() + w.size());
    }
    return out;
}

} // namespace scae::interpret
