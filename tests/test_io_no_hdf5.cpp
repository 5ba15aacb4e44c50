// Built as if HDF5 were missing: an .h5 or .h5ad input, an obs:COLUMN label and an .h5ad output
// must each say that scae was built without HDF5 and how to rebuild. This file is its own
// executable, so undefining the macro here affects only it.
#undef SCAE_HAVE_HDF5
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/cli/h5ad_output.hpp>
#include <scae/io/h5ad_labels.hpp>
#include <scae/io/read_counts.hpp>

using scae_test::error_of;
using scae_test::have_data;
using scae_test::mentions;

TEST_CASE("without HDF5 an .h5 or .h5ad input says so and how to rebuild") {
    for (const char* file : {"10x_v3_cellranger3_chr21/filtered_feature_bc_matrix.h5", "h5ad_csr_lognorm_dentategyrus_celltypes/adata_50.h5ad"}) {
        if (!have_data(std::string("formats_hdf5/") + file)) continue;
        const std::string path = scae_test::data_dir() + "/formats_hdf5/" + file;
        CHECK(mentions(error_of([&] { scae::io::read_counts<float>(path); }),
                       {path + ": this is an HDF5 file", "built without HDF5", "install libhdf5-dev and reconfigure"}));
        CHECK(mentions(error_of([&] { scae::io::read_cell_labels("obs:clusters", path, {}); }), {"built without HDF5", "obs:clusters"}));
    }
}

TEST_CASE("without HDF5 an .h5ad output says so") {
    struct Input {} in;
    const scae::cli::Args a({"--model", "m.json", "--data", "d"}, {"model", "data"});
    CHECK(mentions(error_of([&] { scae::cli::write_h5ad_output("out.h5ad", "embed", a, in, nullptr, nullptr); }),
                   {"out.h5ad: writing AnnData .h5ad needs HDF5", "install libhdf5-dev"}));
}
