// Cell Ranger HDF5 and AnnData h5ad: the real files under formats_hdf5/ against their
// expect.json, the h5 and mtx twins against each other, and the variants and broken files that
// tests/fixtures/hdf5/make_fixtures.py writes with h5py and anndata at test time.
#include <doctest/doctest.h>

#include "test_io_support.hpp"

#include <scae/cli/main.hpp>
#include <scae/io/h5ad_labels.hpp>
#include <scae/io/hdf5_signature.hpp>
#include <scae/io/read_counts.hpp>

#ifdef SCAE_HAVE_HDF5
#include <scae/io/h5ad_write.hpp>

#include <scae/io/hdf5_lzf.hpp>
#endif

#include <cstdlib>
#include <cstring>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace test_io_hdf5 {

using scae_test::data_dir;
using scae_test::error_of;
using scae_test::have_data;
using scae_test::mentions;

namespace {

namespace fs = std::filesystem;

// The matrix every good fixture holds (make_fixtures.py COUNTS): 4 cells x 5 features, the
// last two of type "Antibody Capture".
const double counts[4][5] = {{1, 0, 2, 0, 7}, {0, 0, 0, 3, 0}, {4, 5, 0, 0, 1}, {0, 0, 6, 0, 0}};
const std::vector<std::string> barcodes = {"AAACCTGA-1", "AAACCTGC-1", "AAACGGGA-1", "AAAGATGC-1"};
const std::vector<std::string> ids = {"ENSG01", "ENSG02", "ENSG03", "ADT_CD3", "ADT_CD19"};
const std::vector<std::string> symbols = {"GENE1", "GENE2", "GENE3", "CD3", "CD19"};

/// A Python 3 with h5py, anndata and scipy: $SCAE_PYTHON, /usr/bin/python3 (Debian's packages)
/// or the python3 on PATH; "" when none has them.
std::string python() {
    static const std::string found = [] {
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("SCAE_PYTHON"); env && *env) candidates.push_back(env);
        candidates.insert(candidates.end(), {"/usr/bin/python3", "python3"});
        for (const std::string& c : candidates)
            if (std::system((c + " -c 'import h5py, anndata, scipy' >/dev/null 2>&1").c_str()) == 0) return c;
        return std::string();
    }();
    return found;
}

/// True when a Python with h5py and anndata exists; otherwise a failed check in CI and a
/// visible skip elsewhere.
bool have_python() {
    if (!python().empty()) return true;
    if (scae_test::in_ci()) {
        FAIL_CHECK("python3 with h5py, anndata and scipy missing in CI (install python3-h5py python3-anndata python3-scipy)");
    } else {
        MESSAGE("SKIPPED (no python3 with h5py, anndata and scipy): the HDF5 fixture files cannot be written");
    }
    return false;
}

/// The folder of fixtures make_fixtures.py wrote for this run (written on first use).
fs::path fixtures() {
    static const fs::path dir = [] {
        const fs::path out = scae_test::scratch_dir("hdf5_fixtures");
        const std::string script = scae_test::fixtures_dir() + "/hdf5/make_fixtures.py";
        const std::string command = python() + " '" + script + "' '" + out.string() + "' >'" + (out / "log.txt").string() + "' 2>&1";
        REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "make_fixtures.py failed; see " << (out / "log.txt").string());
        return out;
    }();
    return dir;
}

std::string fixture(const std::string& name) { return (fixtures() / name).string(); }

std::string real(const std::string& relative) { return (fs::path(data_dir()) / "formats_hdf5" / relative).string(); }

/// Checks that `m` holds the fixture matrix: all five features, or the three Gene Expression ones.
void check_fixture_matrix(const scae::io::CountMatrix<double>& m, bool all_features) {
    const scae::Index genes = all_features ? 5 : 3;
    REQUIRE(m.cells() == 4);
    REQUIRE(m.genes() == genes);
    const scae::Matrix<double> dense = scae::Matrix<double>(m.counts);
    for (int c = 0; c < 4; ++c)
        for (int g = 0; g < genes; ++g) CHECK(dense(c, g) == counts[c][g]);
    CHECK(m.counts.nonZeros() == (all_features ? 8 : 5));
    CHECK(m.barcodes == barcodes);
    CHECK(m.gene_ids == std::vector<std::string>(ids.begin(), ids.begin() + genes));
    CHECK(m.gene_symbols == std::vector<std::string>(symbols.begin(), symbols.begin() + genes));
    CHECK(m.integer_values);
}

/// Parses an expect.json, which Python's json module wrote: NaN and Infinity outside strings
/// (not JSON) become null.
nlohmann::json parse_python_json(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), clean;
    bool quoted = false;
    for (std::size_t k = 0; k < text.size(); ++k) {
        if (text[k] == '"' && (k == 0 || text[k - 1] != '\\')) quoted = !quoted;
        if (!quoted) {
            const bool minus = text.compare(k, 9, "-Infinity") == 0;
            if (text.compare(k, 3, "NaN") == 0 || text.compare(k, 8, "Infinity") == 0 || minus) {
                clean += "null";
                k += text[k] == 'N' ? 2 : minus ? 8 : 7;
                continue;
            }
        }
        clean += text[k];
    }
    return nlohmann::json::parse(clean);
}

int run_cli(const std::vector<std::string>& args, std::string& out, std::string& err) {
    std::ostringstream o, e;
    const int code = scae::cli::main(args, o, e);
    out = o.str();
    err = e.str();
    return code;
}

} // namespace

TEST_CASE("the HDF5 signature is found at offset 0 and after a user block of 512, 1024, ... bytes") {
    const fs::path dir = scae_test::scratch_dir("hdf5_signature");
    const std::string signature = "\x89HDF\r\n\x1a\n";
    for (std::size_t offset : {std::size_t(0), std::size_t(512), std::size_t(2048)}) {
        const fs::path path = dir / ("at_" + std::to_string(offset));
        scae_test::write_text(path, std::string(offset, 'u') + signature + std::string(64, '\0'));
        CHECK_MESSAGE(scae::io::is_hdf5_file(path.string()), offset);
    }
    scae_test::write_text(dir / "at_100", std::string(100, 'u') + signature + std::string(600, '\0')); // not a valid position
    CHECK_FALSE(scae::io::is_hdf5_file((dir / "at_100").string()));
    scae_test::write_text(dir / "table.h5", "gene\tc1\nA\t1\n"); // the extension does not decide
    CHECK_FALSE(scae::io::is_hdf5_file((dir / "table.h5").string()));
    CHECK_FALSE(scae::io::is_hdf5_file((dir / "missing").string()));
    CHECK(scae::io::detect_count_format((dir / "table.h5").string()) == scae::io::CountFormat::dense_table);
    CHECK(mentions(error_of([&] { scae::io::read_counts<float>((dir / "table.h5").string()); }),
                   {(dir / "table.h5").string() + ": is named like an HDF5 file but lacks the HDF5 signature"}));
}

#ifdef SCAE_HAVE_HDF5

TEST_CASE("the real Cell Ranger and AnnData files match their expect.json") {
    const std::vector<std::pair<std::string, std::string>> files = {
        {"10x_v3_cellranger3_chr21", "filtered_feature_bc_matrix.h5"},
        {"10x_v2_cellranger12_chr21", "filtered_gene_bc_matrices_h5.h5"},
        {"h5ad_csr_lognorm_dentategyrus_celltypes", "adata_50.h5ad"},
        {"h5ad_dense_pbmc68k_reduced", "10x_pbmc68k_reduced.h5ad"}};
    for (const auto& file : files) {
        const std::string &dir = file.first, &name = file.second;
        if (!have_data("formats_hdf5/" + dir + "/expect.json")) continue;
        INFO(dir);
        const nlohmann::json expect = parse_python_json(real(dir + "/expect.json"));
        const std::string path = real(dir + "/" + name);
        scae::io::ReadOptions options;
        options.layer = expect["kind"] == "h5ad" ? "X" : ""; // expect.json describes X
        options.allow_negative = true;                       // pbmc68k's X is scaled
        const auto m = scae::io::read_counts<double>(path, options);
        CHECK(scae::io::detect_count_format(path) ==
              (expect["kind"] == "h5ad" ? scae::io::CountFormat::h5ad : scae::io::CountFormat::cellranger_h5));
        CHECK(m.cells() == expect["cells"].get<long>());
        CHECK(m.genes() == expect["genes"].get<long>());
        CHECK(m.counts.nonZeros() == expect["nnz"].get<long>());
        CHECK(m.counts.sum() == doctest::Approx(expect["total"].get<double>()).epsilon(1e-6));
        CHECK(m.counts.cwiseAbs().sum() == doctest::Approx(expect["abs_total"].get<double>()).epsilon(1e-6));
        const nlohmann::json& values = expect.contains("X") ? expect["X"] : expect.contains("genomes") ? expect["genomes"].begin().value() : expect;
        CHECK(m.integer_values == values["all_integer_valued"].get<bool>());
        for (std::size_t k = 0; k < 3; ++k) {
            CHECK(m.barcodes[k] == expect["barcodes_first3"][k].get<std::string>());
            CHECK(m.counts.row(scae::Index(k)).sum() == doctest::Approx(expect["cell_totals_first3"][k].get<double>()).epsilon(1e-6));
            if (expect.contains("gene_ids_first3")) {
                CHECK(m.gene_ids[k] == expect["gene_ids_first3"][k].get<std::string>());
                CHECK(m.gene_symbols[k] == expect["gene_names_first3"][k].get<std::string>());
            } else { // h5ad: the var names
                CHECK(m.gene_ids[k] == expect["gene_names_first3"][k].get<std::string>());
            }
        }
    }
}

TEST_CASE("the .h5 and the 10x directory of the same run give identical matrices and names") {
    const std::vector<std::pair<std::string, std::string>> twins = {
        {"10x_v3_cellranger3_chr21/filtered_feature_bc_matrix.h5", "10x_v3_cellranger3_chr21/filtered_feature_bc_matrix"},
        {"10x_v2_cellranger12_chr21/filtered_gene_bc_matrices_h5.h5", "10x_v2_cellranger12_chr21/filtered_gene_bc_matrices/hg19_chr21"}};
    for (const auto& twin : twins) {
        const std::string &h5 = twin.first, &mtx = twin.second;
        if (!have_data("formats_hdf5/" + h5) || !have_data("formats_hdf5/" + mtx)) continue;
        INFO(h5);
        const auto a = scae::io::read_counts<double>(real(h5));
        const auto b = scae::io::read_counts<double>(real(mtx));
        CHECK(a.barcodes == b.barcodes);
        CHECK(a.gene_ids == b.gene_ids);
        CHECK(a.gene_symbols == b.gene_symbols);
        CHECK(a.feature_types == b.feature_types);
        REQUIRE(a.counts.nonZeros() == b.counts.nonZeros());
        CHECK(std::equal(a.counts.outerIndexPtr(), a.counts.outerIndexPtr() + a.cells() + 1, b.counts.outerIndexPtr()));
        CHECK(std::equal(a.counts.innerIndexPtr(), a.counts.innerIndexPtr() + a.counts.nonZeros(), b.counts.innerIndexPtr()));
        CHECK(std::equal(a.counts.valuePtr(), a.counts.valuePtr() + a.counts.nonZeros(), b.counts.valuePtr()));
        CHECK(a.field == b.field);
    }
}

TEST_CASE("AnnData's default matrix: X when it holds counts, else integer raw/X or layers/counts") {
    if (!have_data("formats_hdf5/h5ad_dense_pbmc68k_reduced/10x_pbmc68k_reduced.h5ad")) return;
    const std::string pbmc = real("h5ad_dense_pbmc68k_reduced/10x_pbmc68k_reduced.h5ad");
    // X is scaled and raw/X log-normalised: nothing holds counts, and the error says so.
    CHECK(mentions(error_of([&] { scae::io::read_counts<float>(pbmc); }),
                   {pbmc + ":/X: holds negative values", "raw/X holds non-integer values", "--layer"}));
    scae::io::ReadOptions raw;
    raw.layer = "raw";
    const auto m = scae::io::read_counts<float>(pbmc, raw);
    CHECK(m.counts.nonZeros() == 174400);
    CHECK(m.source.rfind("/raw/X", 0) == 0);
    raw.layer = "spliced";
    CHECK(mentions(error_of([&] { scae::io::read_counts<float>(pbmc, raw); }), {pbmc + ":/layers/spliced: no such layer"}));
}

TEST_CASE("Cell Ranger fixtures: int64, unsigned and float values, variable-length strings, a user block") {
    if (!have_python()) return;
    for (const char* name : {"cr_v3.h5", "cr_v3_int64_vlen_userblock.h5", "cr_v3_unsigned.h5", "cr_v3_float.h5", "cr_v2_one_genome.h5"}) {
        INFO(name);
        CHECK(scae::io::detect_count_format(fixture(name)) == scae::io::CountFormat::cellranger_h5);
        check_fixture_matrix(scae::io::read_counts<double>(fixture(name)), false);
    }
    scae::io::ReadOptions all;
    all.feature_types.clear();
    const auto m = scae::io::read_counts<double>(fixture("cr_v3.h5"), all);
    check_fixture_matrix(m, true);
    CHECK(m.feature_types[3] == "Antibody Capture");
    CHECK(mentions(scae::io::read_counts<double>(fixture("cr_v3.h5")).source, {"3 of 5 features kept", "2 'Antibody Capture'"}));
    scae::io::ReadOptions antibodies;
    antibodies.feature_types = {"Antibody Capture"};
    CHECK(scae::io::read_counts<double>(fixture("cr_v3.h5"), antibodies).gene_ids == std::vector<std::string>{"ADT_CD3", "ADT_CD19"});
    antibodies.feature_types = {"Peaks"};
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("cr_v3.h5"), antibodies); }),
                   {"has no features of type 'Peaks'", "'Gene Expression' (3)", "--feature-types"}));
}

TEST_CASE("several genomes are an error that lists them, unless one is chosen") {
    if (!have_python()) return;
    for (const char* name : {"cr_v2_two_genomes.h5", "cr_v3_two_genomes.h5"}) {
        INFO(name);
        CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture(name)); }),
                       {fixture(name), "2 genomes", "'mm10'", "--genome NAME"}));
        scae::io::ReadOptions options;
        options.genome = "rat";
        CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture(name), options); }), {"no genome 'rat'", "'mm10'"}));
    }
    scae::io::ReadOptions mouse;
    mouse.genome = "mm10";
    CHECK(scae::io::read_counts<double>(fixture("cr_v2_two_genomes.h5"), mouse).gene_ids ==
          std::vector<std::string>{"ENSG03", "ADT_CD3", "ADT_CD19"});
    const auto v3 = scae::io::read_counts<double>(fixture("cr_v3_two_genomes.h5"), mouse);
    CHECK(v3.gene_ids == std::vector<std::string>{"ENSG03"}); // ADT_CD19 is mm10 but not Gene Expression
    CHECK(v3.counts.sum() == 8);
    CHECK(scae::Index(v3.counts.data().size()) == v3.counts.nonZeros()); // the other genome's entries leave no storage
    mouse.genome = "GRCh38";
    CHECK(scae::io::read_counts<double>(fixture("cr_v3_two_genomes.h5"), mouse).gene_ids == std::vector<std::string>{"ENSG01", "ENSG02"});
}

TEST_CASE("AnnData fixtures: CSC, dense int32, the 0.7 and pre-0.7 layouts, raw and layer counts") {
    if (!have_python()) return;
    for (const char* name : {"ad_csc_int64.h5ad", "ad_dense_int32.h5ad", "ad_v07.h5ad", "ad_v06.h5ad", "ad_lognorm_raw_counts.h5ad",
                             "ad_scaled_layer_counts.h5ad"}) {
        INFO(name);
        CHECK(scae::io::detect_count_format(fixture(name)) == scae::io::CountFormat::h5ad);
        check_fixture_matrix(scae::io::read_counts<double>(fixture(name)), false);
    }
    scae::io::ReadOptions all;
    all.feature_types.clear();
    check_fixture_matrix(scae::io::read_counts<double>(fixture("ad_csc_int64.h5ad"), all), true);
    CHECK(scae::io::read_counts<double>(fixture("ad_lognorm_raw_counts.h5ad")).source.rfind("/raw/X (CSR): X holds non-integer", 0) == 0);
    CHECK(scae::io::read_counts<double>(fixture("ad_scaled_layer_counts.h5ad")).source.rfind("/layers/counts (CSR): X holds negative", 0) == 0);
    scae::io::ReadOptions x;
    x.layer = "X";
    CHECK_FALSE(scae::io::read_counts<double>(fixture("ad_lognorm_raw_counts.h5ad"), x).integer_values);
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("ad_scaled_only.h5ad")); }),
                   {fixture("ad_scaled_only.h5ad") + ":/X: holds negative values", "no raw/X or layers/counts"}));
    // CELLxGENE style: var indexed by Ensembl ID, symbols in feature_name.
    const auto c = scae::io::read_counts<double>(fixture("ad_cellxgene.h5ad"));
    CHECK(c.gene_ids == ids);
    CHECK(c.gene_symbols == symbols);
}

TEST_CASE("compressed files: LZF (h5py's, as scanpy writes it), gzip, shuffle, Fletcher32, szip, scale-offset") {
    if (!have_python()) return;
    for (const char* name : {"ad_lzf.h5ad", "ad_gzip.h5ad"}) {
        INFO(name);
        check_fixture_matrix(scae::io::read_counts<double>(fixture(name)), false);
        const auto labels = scae::io::read_cell_labels("obs:cell_type", fixture(name), barcodes);
        CHECK(labels.per_cell == std::vector<std::string>{"T cell", "B cell", "T cell", ""});
    }
    for (const char* name : {"cr_v3_lzf.h5", "cr_v3_shuffle_fletcher32.h5", "cr_v3_szip.h5", "cr_v3_scaleoffset.h5"}) {
        INFO(name);
        check_fixture_matrix(scae::io::read_counts<double>(fixture(name)), false);
    }
    // The command line reads it too (the issue: "scae inspect" stopped at /obs/_index, "cannot read: ").
    std::string out, err;
    CHECK(run_cli({"inspect", fixture("ad_lzf.h5ad")}, out, err) == 0);
    CHECK(err.empty());
}

TEST_CASE("LZF decoding: liblzf's format, byte for byte, and malformed data refused within bounds") {
    using scae::io::hdf5::LzfStatus;
    using scae::io::hdf5::lzf_decompress;
    const auto decode = [](const std::vector<unsigned char>& in, std::size_t room, std::string& out) {
        std::vector<unsigned char> buffer(room);
        std::size_t written = 0;
        const LzfStatus status = lzf_decompress(in.data(), in.size(), buffer.data(), buffer.size(), written);
        out.assign(buffer.begin(), buffer.begin() + std::ptrdiff_t(written));
        return status;
    };
    std::string out;
    // "abcabcabcabc": a literal run of 3, then a reference 3 back of 9 bytes (length 7 = 7 + 0, plus 2).
    CHECK(decode({2, 'a', 'b', 'c', 0xE0, 0, 2}, 64, out) == LzfStatus::ok);
    CHECK(out == "abcabcabcabc");
    CHECK(decode({2, 'a', 'b', 'c', 0x20, 2}, 64, out) == LzfStatus::ok); // 3 back, 1 + 2 bytes
    CHECK(out == "abcabc");
    CHECK(decode({2, 'a', 'b', 'c', 0xE0, 0, 2}, 11, out) == LzfStatus::too_small);
    CHECK(decode({5, 'a', 'b'}, 64, out) == LzfStatus::malformed);          // a literal run past the end
    CHECK(decode({0, 'a', 0x20, 5}, 64, out) == LzfStatus::malformed);      // a reference before the start
    CHECK(decode({0, 'a', 0xE0}, 64, out) == LzfStatus::malformed);         // a reference cut short
    CHECK(decode({}, 64, out) == LzfStatus::malformed);
}

TEST_CASE("a filter this HDF5 cannot decode is named, with what to install") {
    if (!have_python()) return;
    // Zstandard (filter 32015): no plugin here.
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("bad_zstd.h5ad")); }),
                   {fixture("bad_zstd.h5ad") + ":/", "is compressed with Zstandard (HDF5 filter 32015), which this HDF5 library cannot decode",
                    "hdf5plugin", "HDF5_PLUGIN_PATH", "HDF5 looks for filter plugins in "}));
    // Blosc (32001), with its Debian package.
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("bad_blosc.h5")); }),
                   {"is compressed with Blosc (HDF5 filter 32001)", "hdf5-filter-plugin-blosc-serial"}));
}

TEST_CASE("obs:COLUMN labels: categorical columns in every AnnData layout, missing values unlabelled") {
    if (!have_python()) return;
    const std::vector<std::string> expected = {"T cell", "B cell", "T cell", ""};
    for (const char* name : {"ad_csc_int64.h5ad", "ad_v07.h5ad", "ad_v06.h5ad"}) {
        INFO(name);
        const auto labels = scae::io::read_cell_labels("obs:cell_type", fixture(name), barcodes);
        CHECK(labels.per_cell == expected);
        CHECK(labels.matched == 3);
        CHECK(labels.cells_without_label == std::vector<std::string>{barcodes[3]});
    }
    CHECK(scae::io::read_cell_labels("obs:n_genes", fixture("ad_csc_int64.h5ad"), barcodes).per_cell ==
          std::vector<std::string>{"3", "1", "3", "1"});
    CHECK(mentions(error_of([&] { scae::io::read_cell_labels("obs:louvain", fixture("ad_csc_int64.h5ad"), barcodes); }),
                   {fixture("ad_csc_int64.h5ad") + ":/obs: has no column 'louvain'", "'cell_type'", "'n_genes'"}));
    CHECK(mentions(error_of([&] { scae::io::read_cell_labels("obs:cell_type", fixture("cr_v3.h5"), barcodes); }),
                   {"obs:cell_type needs an AnnData file"}));
}

TEST_CASE("broken HDF5 files name the file and the dataset") {
    if (!have_python()) return;
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"bad_truncated.h5", {"cannot open as HDF5", "truncated"}},
        {"bad_missing_indices.h5", {":/matrix/indices: no such dataset"}},
        {"bad_shape.h5", {":/matrix/shape: declares 6 cells but /matrix/indptr holds 5 offsets"}},
        {"bad_h5ad_indptr.h5ad", {":/X/indptr: holds 5 offsets, expected 4 (3 cells + 1"}},
        {"bad_indptr_decreasing.h5", {":/matrix/indptr: decreases from 3 to 2 at element 2"}},
        {"bad_index_range.h5", {":/matrix/indices: index 9 at element 6 is out of range, expected 0 to 4"}},
        {"bad_negative.h5", {":/matrix/data: value -7 at element 2 is negative"}},
        {"bad_nan.h5ad", {":/X/data: value nan at element 5 is not a finite number"}},
        {"bad_type.h5", {":/matrix/data: holds strings, expected numbers"}},
        {"bad_duplicate.h5", {":/matrix/indices: lists gene 0 twice for cell 0"}}};
    for (const auto& entry : cases) {
        const std::string& name = entry.first;
        const std::vector<std::string>& parts = entry.second;
        INFO(name);
        const std::string message = error_of([&] { scae::io::read_counts<float>(fixture(name)); });
        CHECK(message.rfind(fixture(name), 0) == 0);
        for (const std::string& part : parts) CHECK_MESSAGE(message.find(part) != std::string::npos, message);
    }
}

TEST_CASE("declared extents are bounded by what the file stores, before anything is allocated") {
    if (!have_python()) return;
    // 10^9 entries declared over 18 KB: Cell Ranger data and indices, and a dense AnnData X.
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("bad_unwritten.h5")); }),
                   {fixture("bad_unwritten.h5") + ":/matrix/", "declares 1000000000 elements, but its storage in the file (0 bytes) can hold at most 0",
                    "never written"}));
    CHECK(mentions(error_of([&] { scae::io::read_counts<double>(fixture("bad_unwritten.h5ad")); }),
                   {fixture("bad_unwritten.h5ad") + ":/X: declares 100000 x 10000 elements"}));
    // Compressed data hold up to their filters' ratio: the good files still read.
    check_fixture_matrix(scae::io::read_counts<double>(fixture("cr_v3_shuffle_fletcher32.h5")), false);
}

TEST_CASE("write_h5ad writes what anndata 0.8 reads back, through a temporary file") {
    if (!have_python()) return;
    const fs::path dir = scae_test::scratch_dir("hdf5_write");
    scae::Matrix<float> x(3, 2), latent(3, 4);
    x << 0.5f, 1, 2, 0, 3.25f, 4;
    for (int i = 0; i < 12; ++i) latent(i / 4, i % 4) = float(i);
    scae::io::H5adContent content;
    content.obs_names = {"c1", "c2", "c3"};
    content.var_names = {"GENE1", "GENE2"};
    content.var_columns = {{"gene_ids", {"E1", "E2"}}};
    content.X = &x;
    content.obsm = {{"X_scae", &latent}};
    content.uns["scae"] = {{"command", "test"}, {"cells", 3}, {"coverage", 0.5}, {"nested", {{"list", {1, 2}}}}};
    const std::string path = (dir / "out.h5ad").string();
    scae::io::write_h5ad(path, content);
    const auto temporaries = [&] { // what write_h5ad left beside its files
        int found = 0;
        for (const auto& entry : fs::directory_iterator(dir)) found += entry.path().filename().string().find(".partial") != std::string::npos;
        return found;
    };
    CHECK(temporaries() == 0);
    const std::string check = python() + " -c \"import anndata, numpy as np; a = anndata.read_h5ad('" + path +
                              "'); assert a.shape == (3, 2); assert list(a.obs_names) == ['c1', 'c2', 'c3'];"
                              " assert list(a.var['gene_ids']) == ['E1', 'E2']; assert np.allclose(a.X, [[0.5, 1], [2, 0], [3.25, 4]]);"
                              " assert np.allclose(a.obsm['X_scae'], np.arange(12).reshape(3, 4));"
                              " assert a.uns['scae']['command'] == 'test' and a.uns['scae']['cells'] == 3;"
                              " assert list(a.uns['scae']['nested']['list']) == [1, 2]\" 2>&1";
    CHECK(std::system(check.c_str()) == 0);
    const auto back = scae::io::read_counts<double>(path);
    CHECK(back.counts.coeff(2, 0) == 3.25);
    CHECK(back.gene_ids == std::vector<std::string>{"E1", "E2"});
    CHECK(back.gene_symbols == content.var_names);
    // A failed write leaves neither the file nor the temporary behind.
    content.obs_names.pop_back();
    CHECK(mentions(error_of([&] { scae::io::write_h5ad((dir / "bad.h5ad").string(), content); }), {"X is 3 x 2, expected 2 cells"}));
    CHECK_FALSE(fs::exists(dir / "bad.h5ad"));
    CHECK(temporaries() == 0);
}

TEST_CASE("an h5ad goes through train, embed to .h5ad, denoise to .h5ad and transfer with --labels obs:COLUMN") {
    if (!have_data("formats_hdf5/h5ad_csr_lognorm_dentategyrus_celltypes/adata_50.h5ad") || !have_python()) return;
    const std::string data = real("h5ad_csr_lognorm_dentategyrus_celltypes/adata_50.h5ad");
    const fs::path dir = scae_test::scratch_dir("hdf5_cli");
    const std::string model = (dir / "model.json").string(), latent = (dir / "latent.h5ad").string(),
                      denoised = (dir / "denoised.h5ad").string();
    std::string out, err;
    REQUIRE_MESSAGE(run_cli({"train", "--data", data, "--out", model, "--labels", "obs:clusters", "--genes", "all", "--epochs", "3",
                             "--layers", "16,8", "--quiet", "--threads", "1"}, out, err) == 0, err);
    CHECK(mentions(err, {"read " + data + ":/X (CSR): not counts"}));
    REQUIRE_MESSAGE(run_cli({"embed", "--model", model, "--data", data, "--out", latent}, out, err) == 0, err);
    REQUIRE_MESSAGE(run_cli({"denoise", "--model", model, "--data", data, "--out", denoised}, out, err) == 0, err);
    const std::string check = python() + " -c \"import anndata; a = anndata.read_h5ad('" + latent +
                              "'); assert a.obsm['X_scae'].shape == (50, 8), a; assert a.obs_names[0] == 'ATTCTTCTAGTACC';"
                              " assert a.uns['scae']['command'] == 'scae embed'; d = anndata.read_h5ad('" + denoised +
                              "'); assert d.shape == (50, 143), d; assert d.var_names[0] == 'Tmeff2'; assert (d.X > 0).all()\" 2>&1";
    CHECK(std::system(check.c_str()) == 0);
    REQUIRE_MESSAGE(run_cli({"transfer", "--model", model, "--data", data, "--labels", "obs:clusters", "--out", (dir / "report").string(),
                             "--no-native", "--quiet", "--threads", "1"}, out, err) == 0, err);
    const auto report = nlohmann::json::parse(out);
    // Clusters with a single reference cell cannot be calibrated: their cells count as unseen.
    CHECK(report["label_transfer"]["shared_label_cells"].get<int>() + report["label_transfer"]["unseen_label_cells"].get<int>() == 50);
    CHECK(report["label_transfer"]["shared_label_cells"].get<int>() >= 40);
    CHECK(report["latent"]["foreign"]["classes"] == 9);
    CHECK(report["labels"] == "obs:clusters");
    // The input options reach every command; a bad one is a clear error.
    CHECK(run_cli({"inspect", "--layer", "ambiguous", data}, out, err) == 0);
    CHECK(nlohmann::json::parse(out)["total"] == 7719.0);
    CHECK(run_cli({"embed", "--model", model, "--data", data, "--layer", "nope", "--out", latent}, out, err) == 1);
    CHECK(mentions(err, {":/layers/nope: no such layer"}));
}

namespace {

/// Reads `path` whole and in `parts` blocks of cells (read_counts_slab), and checks that the
/// blocks, stacked, are the whole matrix bit for bit, with the same names and source.
void check_blocks_stack_to_whole(const std::string& path, const scae::io::ReadOptions& options, int parts) {
    INFO(path << " in " << parts << " blocks");
    const auto whole = scae::io::read_counts<float>(path, options);
    std::vector<std::string> stacked_barcodes;
    std::vector<int> outer{0}, inner;
    std::vector<float> values;
    for (int part = 0; part < parts; ++part) {
        const auto block = scae::io::read_counts_slab<float>(path, options, {part, parts});
        CHECK(block.file_cells == whole.cells());
        CHECK(block.first_cell == scae::Index(static_cast<long long>(whole.cells()) * part / parts));
        CHECK(block.data.cells() == scae::Index(static_cast<long long>(whole.cells()) * (part + 1) / parts) - block.first_cell);
        CHECK(block.data.gene_ids == whole.gene_ids);
        CHECK(block.data.gene_symbols == whole.gene_symbols);
        CHECK(block.data.feature_types == whole.feature_types);
        CHECK(block.data.source == whole.source);
        CHECK(block.data.field == whole.field);
        CHECK(block.data.counts.isCompressed());
        const auto& m = block.data.counts;
        for (scae::Index r = 0; r < m.rows(); ++r) outer.push_back(outer.back() + m.outerIndexPtr()[r + 1] - m.outerIndexPtr()[r]);
        inner.insert(inner.end(), m.innerIndexPtr(), m.innerIndexPtr() + m.nonZeros());
        values.insert(values.end(), m.valuePtr(), m.valuePtr() + m.nonZeros());
        stacked_barcodes.insert(stacked_barcodes.end(), block.data.barcodes.begin(), block.data.barcodes.end());
    }
    CHECK(stacked_barcodes == whole.barcodes);
    const auto& w = whole.counts;
    REQUIRE(outer.size() == std::size_t(w.rows()) + 1);
    REQUIRE(inner.size() == std::size_t(w.nonZeros()));
    CHECK(std::equal(outer.begin(), outer.end(), w.outerIndexPtr()));
    CHECK(std::equal(inner.begin(), inner.end(), w.innerIndexPtr()));
    CHECK(std::memcmp(values.data(), w.valuePtr(), values.size() * sizeof(float)) == 0);
}

} // namespace

TEST_CASE("the real files read by blocks of cells stack up to the whole read, bit for bit") {
    struct File {
        std::string path;
        std::string layer;
    };
    const std::vector<File> files = {
        {"10x_v3_cellranger3_chr21/filtered_feature_bc_matrix.h5", ""},
        {"10x_v2_cellranger12_chr21/filtered_gene_bc_matrices_h5.h5", ""},
        {"h5ad_csr_lognorm_dentategyrus_celltypes/adata_50.h5ad", ""},  // the default choice, made by scanning X
        {"h5ad_csr_lognorm_dentategyrus_celltypes/adata_50.h5ad", "X"}, // CSR
        {"h5ad_dense_pbmc68k_reduced/10x_pbmc68k_reduced.h5ad", "X"},   // dense, scaled
        {"h5ad_dense_pbmc68k_reduced/10x_pbmc68k_reduced.h5ad", "raw"}}; // CSR
    for (const File& file : files) {
        if (!have_data("formats_hdf5/" + file.path)) continue;
        scae::io::ReadOptions options;
        options.layer = file.layer;
        options.allow_negative = true; // pbmc68k's X is scaled
        const scae::Index cells = scae::io::read_counts<float>(real(file.path), options).cells();
        for (int parts : {1, 2, 3, 7, int(cells) + 2}) check_blocks_stack_to_whole(real(file.path), options, parts);
    }
    // The v3 file's expect.json: 1,107 cells; the blocks of 4 are 276, 277, 277 and 277 cells.
    if (have_data("formats_hdf5/10x_v3_cellranger3_chr21/filtered_feature_bc_matrix.h5")) {
        const auto block = scae::io::read_counts_slab<float>(real("10x_v3_cellranger3_chr21/filtered_feature_bc_matrix.h5"), {}, {1, 4});
        CHECK(block.file_cells == 1107);
        CHECK(block.first_cell == 276);
        CHECK(block.data.cells() == 277);
    }
}

TEST_CASE("fixtures read by blocks of cells: CSC, dense, old layouts, compression, all feature types") {
    if (!have_python()) return;
    scae::io::ReadOptions all;
    all.feature_types.clear();
    for (const char* name : {"cr_v3.h5", "cr_v3_int64_vlen_userblock.h5", "cr_v3_float.h5", "cr_v2_one_genome.h5", "cr_v3_lzf.h5",
                             "ad_csc_int64.h5ad", "ad_dense_int32.h5ad", "ad_v07.h5ad", "ad_v06.h5ad", "ad_lognorm_raw_counts.h5ad",
                             "ad_scaled_layer_counts.h5ad", "ad_gzip.h5ad", "ad_cellxgene.h5ad"})
        for (int parts : {1, 2, 3, 4, 6}) {
            check_blocks_stack_to_whole(fixture(name), {}, parts);
            check_blocks_stack_to_whole(fixture(name), all, parts);
        }
}

TEST_CASE("broken files read by blocks: the whole indptr is checked by every block, entries by the block holding them") {
    if (!have_python()) return;
    // Checked by every block: the layout, the shape, the indptr.
    const std::vector<std::pair<std::string, std::string>> everywhere = {
        {"bad_missing_indices.h5", ":/matrix/indices: no such dataset"},
        {"bad_shape.h5", ":/matrix/shape: declares 6 cells but /matrix/indptr holds 5 offsets"},
        {"bad_h5ad_indptr.h5ad", ":/X/indptr: holds 5 offsets, expected 4 (3 cells + 1"},
        {"bad_indptr_decreasing.h5", ":/matrix/indptr: decreases from 3 to 2 at element 2"},
        {"bad_type.h5", ":/matrix/data: holds strings, expected numbers"}};
    for (const auto& entry : everywhere) // (no structured bindings: clang 14 cannot capture them in lambdas)
        for (int block = 0; block < 4; ++block) {
            const std::string &name = entry.first, &part = entry.second;
            INFO(name << ", block " << block);
            CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>(fixture(name), {}, {block, 4}); }), {fixture(name), part}));
        }
    // The fixture's cells hold entries [0, 3), [3, 4), [4, 7) and [7, 8): an entry is checked by its cell's block.
    const std::vector<std::tuple<std::string, int, std::string>> entries = {
        {"bad_index_range.h5", 2, ":/matrix/indices: index 9 at element 6 is out of range, expected 0 to 4"},
        {"bad_negative.h5", 0, ":/matrix/data: value -7 at element 2 is negative"},
        {"bad_duplicate.h5", 0, ":/matrix/indices: lists gene 0 twice for cell 0"}};
    for (const auto& entry : entries)
        for (int block = 0; block < 4; ++block) {
            const std::string& name = std::get<0>(entry);
            const int holder = std::get<1>(entry);
            const std::string& part = std::get<2>(entry);
            INFO(name << ", block " << block);
            const std::string message = error_of([&] { scae::io::read_counts_slab<float>(fixture(name), {}, {block, 4}); });
            if (block == holder) {
                CHECK(mentions(message, {fixture(name), part}));
            } else {
                CHECK(message == "");
            }
        }
    // AnnData's default choice of matrix scans every value of X: every block finds the NaN.
    for (int block = 0; block < 3; ++block)
        CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>(fixture("bad_nan.h5ad"), {}, {block, 3}); }),
                       {":/X/data: value nan at element 5 is not a finite number"}));
    CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>(fixture("cr_v3.h5"), {}, {4, 4}); }),
                   {"block 4 of 4 asked for, expected 0 <= block < blocks"}));
    CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>(fixture("cr_v3.h5"), {}, {0, 0}); }), {"block 0 of 0"}));
}

TEST_CASE("Matrix Market, 10x directories and tables cannot be read by blocks of cells: the error says to write .h5ad") {
    const fs::path dir = scae_test::scratch_dir("slab_mtx");
    scae_test::write_text(dir / "m.mtx", "%%MatrixMarket matrix coordinate integer general\n2 3 2\n1 1 4\n2 3 1\n");
    const auto whole = scae::io::read_counts_slab<float>((dir / "m.mtx").string(), {}, {0, 1}); // one block: the whole file
    CHECK(whole.file_cells == 3);
    CHECK(whole.data.cells() == 3);
    CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>((dir / "m.mtx").string(), {}, {1, 2}); }),
                   {(dir / "m.mtx").string(), "a Matrix Market file cannot be read one block of cells at a time", "write it as an AnnData .h5ad first"}));
    scae_test::write_text(dir / "t.tsv", "gene\tc1\tc2\nA\t1\t0\n");
    CHECK(mentions(error_of([&] { scae::io::read_counts_slab<float>((dir / "t.tsv").string(), {}, {0, 2}); }),
                   {"a dense table cannot be read one block of cells at a time", ".h5ad"}));
}

#endif

} // namespace test_io_hdf5
