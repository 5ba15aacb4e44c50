#pragma once
/// @file precompiled.hpp
/// @brief The library's main entry points for float counts, compiled once instead of in every
/// program that calls them (opt-in: CMake target `scae::precompiled`, macro `SCAE_PRECOMPILED`).
///
/// scae is header-only, so a program that calls `train_model` and `run_transfer` compiles the
/// whole pipeline (preprocessing, training, alignment, calibration, annotation) in its own
/// translation unit: the README's snippet took 99 s of CPU at -O2 with g++ 12, 70 times its
/// dependencies' headers (1.4 s). With `SCAE_PRECOMPILED` defined, the declarations below are
/// `extern template`: the compiler does not instantiate these functions for float, and the
/// program links them from `libscae_precompiled.a`, which this project's build compiles once
/// (from this header with `SCAE_PRECOMPILED_DEFINITIONS`). The same snippet then takes 3.8 s
/// (2.7x; `.ci/compile_cost` measures it). Nothing else changes: the same headers, the same code.
///
/// `scae.hpp` includes this header; a program that includes single headers and wants the
/// precompiled entry points includes it too. With neither macro defined it declares nothing.
/// Other scalar types (double counts) and functions not listed here compile as usual.

#include "scae/interpret/pathways.hpp"
#include "scae/io/gmt.hpp"
#include "scae/io/read_counts.hpp"
#include "scae/eval/embedding_scores.hpp"
#include "scae/transfer/denoise.hpp"
#include "scae/transfer/missing_genes.hpp"
#include "scae/transfer/model_file.hpp"
#include "scae/transfer/run_annotation.hpp"
#include "scae/transfer/run_transfer.hpp"
#include "scae/transfer/train_model.hpp"

#if defined(SCAE_PRECOMPILED_DEFINITIONS)
#define SCAE_DETAIL_INSTANCE template
#elif defined(SCAE_PRECOMPILED)
#define SCAE_DETAIL_INSTANCE extern template
#endif

#ifdef SCAE_DETAIL_INSTANCE
namespace scae {
// Reading.
SCAE_DETAIL_INSTANCE io::CountMatrix<float> io::read_counts<float>(const std::string&, const io::ReadOptions&);
// Training and the model file.
SCAE_DETAIL_INSTANCE transfer::ModelFile transfer::train_model<float>(io::CountMatrix<float>&&, const transfer::TrainRecipe&,
                                                                      const std::string&, const std::vector<std::string>&);
SCAE_DETAIL_INSTANCE transfer::ModelFile transfer::train_model<float>(const io::CountMatrix<float>&, const transfer::TrainRecipe&,
                                                                      const std::string&, const std::vector<std::string>&);
SCAE_DETAIL_INSTANCE void transfer::save_model<nlohmann::json>(const std::string&, const transfer::ModelFile&);
SCAE_DETAIL_INSTANCE transfer::ModelFile transfer::load_model<nlohmann::json>(const std::string&);
// Applying a foreign model.
SCAE_DETAIL_INSTANCE transfer::TransferResults transfer::run_transfer<float>(const transfer::ModelFile&, io::CountMatrix<float>&&,
                                                                             const std::vector<std::string>&,
                                                                             const transfer::TransferOptions&);
SCAE_DETAIL_INSTANCE transfer::TransferResults transfer::run_transfer<float>(const transfer::ModelFile&, const io::CountMatrix<float>&,
                                                                             const std::vector<std::string>&,
                                                                             const transfer::TransferOptions&);
SCAE_DETAIL_INSTANCE transfer::AnnotationResults transfer::run_annotation<float>(const transfer::ModelFile&, io::CountMatrix<float>&&,
                                                                                 const std::vector<std::string>&,
                                                                                 const transfer::AnnotationOptions&);
SCAE_DETAIL_INSTANCE nn::Autoencoder<float> transfer::adapt_to_present_genes<float>(const nn::Autoencoder<float>&,
                                                                                    const transfer::ReferenceInput&,
                                                                                    const std::vector<Index>&, transfer::MissingGenes,
                                                                                    transfer::MissingGeneAdaptation*);
SCAE_DETAIL_INSTANCE transfer::DenoiseResult transfer::denoise<float>(const nn::Autoencoder<float>&, const Csr<float>&,
                                                                      const transfer::DenoiseOptions&);
SCAE_DETAIL_INSTANCE eval::EmbeddingScores eval::score_embedding<float>(const Matrix<float>&, const std::vector<std::string>&,
                                                                        const eval::EmbeddingScoreOptions&);
// Explaining nodes with gene sets (io::GeneSet, from a GMT file or the simulator).
SCAE_DETAIL_INSTANCE interpret::PathwayResult interpret::score_pathways<float, io::GeneSet>(
    const nn::Autoencoder<float>&, const Csr<float>&, const std::vector<std::string>&, const std::vector<io::GeneSet>&,
    const interpret::PathwayOptions&, const std::vector<std::string>&);
} // namespace scae
#undef SCAE_DETAIL_INSTANCE
#endif
