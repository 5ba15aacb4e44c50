#pragma once
/// @file metrics.hpp
/// @brief One include for every label-based score: classification
/// (accuracy, F1, confusion), partition agreement (ARI, NMI) and silhouette.

#include "scae/eval/classification.hpp"
#include "scae/eval/partition_agreement.hpp"
#include "scae/eval/silhouette.hpp"
