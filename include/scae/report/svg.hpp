#pragma once
/// @file svg.hpp
/// @brief One include for the dependency-free SVG pictures: labelled scatter
/// plots and heatmaps. Write them with write_text_atomic (write_file.hpp).

#include "scae/report/heatmap_svg.hpp"
#include "scae/report/scatter_svg.hpp"
#include "scae/report/write_file.hpp"
