#pragma once
/// @file svg.hpp
/// @brief One include for the dependency-free SVG pictures: labelled scatter
/// plots and heatmaps. Write them with scae::write_text_atomically (core/atomic_file.hpp).

#include "scae/report/heatmap_svg.hpp"
#include "scae/report/scatter_svg.hpp"
#include "scae/core/atomic_file.hpp"
