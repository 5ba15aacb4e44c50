// The names enums have in model files, reports and on the command line (scae::EnumNames
// tables): exactly the names earlier versions wrote (files written then must still read), each
// parsed back to its value, and the one "unknown WHAT 'NAME' (expected ...)" message otherwise.
#include <doctest/doctest.h>

#include "scae/data/align.hpp"
#include "scae/data/preprocess.hpp"
#include "scae/nn/autoencoder.hpp"
#include "scae/transfer/calibrate.hpp"

#include <string>

namespace test_core_enum_names {

using namespace scae;

// The message `parse` throws for `name`, or "" when it parses.
template <class Parse>
std::string refusal(Parse parse, const std::string& name) {
    try {
        parse(name);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Every name in `table` parses back to its own value.
template <class E, std::size_t N, class Parse>
void check_round_trip(const EnumNames<E, N>& table, Parse parse) {
    for (const auto& entry : table) {
        CAPTURE(entry.second);
        CHECK(parse(std::string(entry.second)) == entry.first);
    }
}

TEST_CASE("model files: activations, losses and HVG flavours keep their names") {
    CHECK(nn::to_string(nn::Activation::identity) == "identity");
    CHECK(nn::to_string(nn::Activation::relu) == "relu");
    CHECK(nn::to_string(nn::Activation::softplus) == "softplus");
    CHECK(nn::to_string(nn::Activation::sigmoid) == "sigmoid");
    CHECK(nn::to_string(nn::Activation::tanh) == "tanh");
    check_round_trip(nn::activation_names, nn::activation_from_string);
    CHECK(refusal(nn::activation_from_string, "swish") == "unknown activation 'swish' (expected identity, relu, softplus, sigmoid or tanh)");
    CHECK(refusal(nn::activation_from_string, "Softplus") != ""); // names are case-sensitive

    CHECK(nn::to_string(nn::Loss::poisson) == "poisson");
    CHECK(nn::to_string(nn::Loss::negative_binomial) == "negative_binomial");
    CHECK(nn::to_string(nn::Loss::mse) == "mse");
    check_round_trip(nn::loss_names, nn::loss_from_string);
    CHECK(refusal(nn::loss_from_string, "nb") == "unknown loss 'nb' (expected poisson, negative_binomial or mse)");

    CHECK(data::to_string(data::HvgFlavor::seurat_v3) == "seurat_v3");
    CHECK(data::to_string(data::HvgFlavor::dispersion) == "dispersion");
    check_round_trip(data::hvg_flavor_names, data::hvg_flavor_from_string);
    CHECK(refusal(data::hvg_flavor_from_string, "") == "unknown HVG flavor '' (expected seurat_v3 or dispersion)");

    // A value outside the enum (made by a cast) is named, not undefined.
    CHECK(nn::to_string(static_cast<nn::Activation>(99)) == "unknown");
}

TEST_CASE("reports: gene keys, duplicate policies, protocols and calibrations keep their names") {
    CHECK(data::to_string(data::GeneKey::id) == "id");
    CHECK(data::to_string(data::GeneKey::symbol) == "symbol");
    CHECK(data::to_string(data::GeneKey::automatic) == "automatic");
    CHECK(data::to_string(data::DuplicateGenePolicy::first) == "first");
    CHECK(data::to_string(data::DuplicateGenePolicy::sum) == "sum");
    CHECK(data::to_string(data::DuplicateGenePolicy::error) == "error");

    CHECK(eval::to_string(eval::Protocol::molecular_cross_validation) == "molecular_cross_validation");
    CHECK(eval::to_string(eval::Protocol::masked) == "masked_nonzeros_and_zeros");

    CHECK(transfer::to_string(transfer::Calibration::none) == "none");
    CHECK(transfer::to_string(transfer::Calibration::genes) == "genes");
    CHECK(transfer::to_string(transfer::Calibration::genes_shrunk) == "genes_shrunk");
    CHECK(transfer::to_string(transfer::Calibration::blend) == "blend");
    CHECK(transfer::to_string(transfer::Calibration::groups) == "groups");
    check_round_trip(transfer::calibration_names, transfer::calibration_from_string);
    CHECK(refusal(transfer::calibration_from_string, "cells") ==
          "unknown calibration 'cells' (expected none, genes, genes_shrunk, groups or blend)");
}

} // namespace test_core_enum_names
