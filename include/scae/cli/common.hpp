#pragma once
/// @file common.hpp
/// @brief Pieces every `scae` subcommand shares: reading data and labels, writing tables,
/// turning exceptions into exit codes.

#include "scae/cli/args.hpp"
#include "scae/data/atomic_file.hpp"
#include "scae/io/h5ad_labels.hpp"
#include "scae/io/read_counts.hpp"

#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#ifdef SCAE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace scae::cli {

/// Runs `body`, mapping a UsageError to exit code 2 (with `usage`), any other exception to
/// exit code 1, each printed as "scae COMMAND: message" on `err`. `--help` prints usage.
inline int guarded(const std::string& command, const std::vector<std::string>& args, const std::string& usage,
                   std::ostream& out, std::ostream& err, const std::function<int()>& body) {
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            out << usage;
            return ok;
        }
    try {
        return body();
    } catch (const UsageError& e) {
        err << "scae " << command << ": " << e.what() << "\n\n" << usage;
        return usage_error;
    } catch (const std::exception& e) {
        err << "scae " << command << ": " << e.what() << "\n";
        return runtime_error;
    }
}

/// Labels of `barcodes` from a `barcode<TAB>label` file, or from an obs column of the AnnData
/// file `data_path` ("obs:COLUMN"); "" for cells without a label.
inline std::vector<std::string> read_cell_labels(const std::string& path, const std::vector<std::string>& barcodes,
                                                 const std::string& data_path = "") {
    return io::read_cell_labels(path, data_path, barcodes).per_cell;
}

/// Writes `text` to `path` atomically; a name ending in .gz is gzip-compressed (needs zlib).
inline void write_output(const std::string& path, const std::string& text) {
    const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    if (!gz) {
        data::write_file_atomically(path, [&](std::ostream& out) { out << text; });
        return;
    }
#ifdef SCAE_HAVE_ZLIB
    const std::string partial = path + ".partial";
    gzFile f = gzopen(partial.c_str(), "wb6");
    if (!f) throw Error(where(path, 0, "cannot open for writing"));
    const bool written = text.empty() || gzwrite(f, text.data(), unsigned(text.size())) == int(text.size());
    if (gzclose(f) != Z_OK || !written) {
        std::remove(partial.c_str());
        throw Error(where(path, 0, "write failed"));
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0) throw Error(where(path, 0, "cannot move the finished file into place"));
#else
    throw Error(where(path, 0, "writing .gz needs zlib: install zlib1g-dev and reconfigure scae, or drop the .gz suffix"));
#endif
}

/// A dense matrix as TSV: header `cell<TAB>col...`, one row per cell.
template <class Matrixish>
std::string matrix_tsv(const Matrixish& m, const std::vector<std::string>& row_names, const std::vector<std::string>& col_names) {
    std::ostringstream s;
    s << "cell";
    for (const auto& c : col_names) s << '\t' << c;
    s << '\n' << std::setprecision(6);
    for (Index r = 0; r < m.rows(); ++r) {
        s << row_names[std::size_t(r)];
        for (Index c = 0; c < m.cols(); ++c) s << '\t' << m(r, c);
        s << '\n';
    }
    return s.str();
}

/// "node1", "node2", ... for latent columns.
inline std::vector<std::string> node_names(Index n) {
    std::vector<std::string> names;
    for (Index i = 0; i < n; ++i) names.push_back("node" + std::to_string(i + 1));
    return names;
}

} // namespace scae::cli
