#pragma once
/// @file reference_meaning.hpp
/// @brief What a model's bottleneck nodes were named with on the tissue it was trained on, and
/// their sets' coordinated components there: kept in the model file (format 1.3) so that on a
/// new tissue node_meaning.hpp can say which nodes kept their meaning.

#include "scae/core/types.hpp"

#include <string>
#include <vector>

namespace scae::interpret {

/// What a node was named with on its training cells, and that set's coordinated component there.
struct NodeProgramme {
    std::string set;                 ///< the node's top set by z in training; "" when no set named it
    double q = 1;                    ///< that set's q in training
    std::vector<Index> genes;        ///< model columns of the set's genes that varied on the training cells, ascending
    std::vector<double> loadings;    ///< w: the component's unit loadings, one per gene of `genes`
    double eigenvalue = 0;           ///< lambda: the component's variance over the standardised genes (1: uncorrelated)
    double edge = 0;                 ///< (1 + sqrt(p / cells))^2: the largest eigenvalue uncorrelated genes reach
    double r = 0;                    ///< correlation of the node's activation with the component's score, >= 0
    /// Whether a set named the node.
    /// @return true when `set` is not empty
    bool named() const { return !set.empty(); }
};

/// Every node's NodeProgramme on the training cells, as a model keeps it (format 1.3).
struct ReferenceMeaning {
    std::string gene_sets;              ///< the gene-set file they were named with (its file name), for messages
    double alpha = 0.05;                ///< the q below which a set named its node
    Index cells = 0;                    ///< training cells the components were taken on
    std::vector<NodeProgramme> nodes;   ///< one per bottleneck node
    /// Whether anything is kept (a model trained without gene sets keeps nothing).
    /// @return true when there are no nodes
    bool empty() const { return nodes.empty(); }
};

} // namespace scae::interpret
