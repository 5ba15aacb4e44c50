#pragma once
/// @file labels.hpp
/// @brief Reads a table of cell labels (`barcode<TAB>label`) and matches it to the cells of a
/// count matrix by barcode.

#include "scae/core/error.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scae::io {

/// Whether the first line of a labels file is a header.
enum class HeaderLine {
    detect, ///< a header when its first field is not a barcode of the matrix (default)
    present,
    absent
};

/// Options of read_labels().
struct LabelOptions {
    /// Header handling. Default: detect.
    HeaderLine header = HeaderLine::detect;
    /// Zero-based field that holds the label; field 0 is always the barcode. Default: 1.
    std::size_t column = 1;
};

/// Labels matched to the cells of a matrix, with what did not match in either direction.
struct Labels {
    /// One label per matrix cell, in matrix order; "" for a cell the file does not list.
    std::vector<std::string> per_cell;
    /// Header name of the label column; "" when the file has no header.
    std::string column_name;
    /// Number of matrix cells that got a label.
    std::size_t matched = 0;
    /// Matrix barcodes absent from the file, in matrix order.
    std::vector<std::string> cells_without_label;
    /// Barcodes of the file absent from the matrix, in file order.
    std::vector<std::string> labels_without_cell;
};

/// Reads the tab-separated labels file at `path` (plain or gzip) and matches its barcodes to
/// `barcodes` (the matrix cells, in order).
/// Throws Error for a missing or empty file, a line without the label field, an empty label, a
/// barcode listed twice, or when no barcode matches the matrix at all.
/// @param path      the labels file, plain or gzip.
/// @param barcodes  the matrix's cells, in row order.
/// @param options   header handling and the label's field.
/// @return one label per barcode ("" for none), with the unmatched cells and barcodes of the file listed.
/// @throws Error when options.column is 0, or naming the file and line on any of the problems above.
inline Labels read_labels(const std::string& path, const std::vector<std::string>& barcodes,
                          const LabelOptions& options = {}) {
    if (options.column == 0) throw Error("LabelOptions::column must be at least 1: field 0 is the barcode");
    std::unordered_map<std::string_view, std::size_t> cell_of;
    cell_of.reserve(barcodes.size());
    for (std::size_t k = 0; k < barcodes.size(); ++k) cell_of.emplace(barcodes[k], k);

    Labels labels;
    labels.per_cell.assign(barcodes.size(), std::string());
    std::vector<long long> line_of_cell(barcodes.size(), 0);
    std::unordered_map<std::string, long long> unknown_line; // repeats among unmatched barcodes
    LineReader reader(path);
    std::vector<std::string_view> fields;
    std::string_view line;
    bool first = true;
    while (reader.next(line)) {
        if (line.empty()) continue;
        reader.require_utf8(line, "the line");
        split(line, '\t', fields);
        if (first) {
            first = false;
            const bool header = options.header == HeaderLine::present ||
                                (options.header == HeaderLine::detect && !cell_of.count(fields[0]));
            if (header) {
                if (fields.size() > options.column) labels.column_name = std::string(fields[options.column]);
                continue;
            }
        }
        if (fields.size() <= options.column)
            reader.fail("found " + in_quotes(line) + ", expected 'barcode<TAB>label' with the label in field " +
                        std::to_string(options.column + 1));
        const std::string_view barcode = fields[0], label = fields[options.column];
        if (label.empty()) reader.fail("found an empty label for " + in_quotes(barcode) + ", expected a label");
        const auto cell = cell_of.find(barcode);
        long long earlier = 0;
        if (cell == cell_of.end()) {
            const auto [it, inserted] = unknown_line.emplace(std::string(barcode), reader.line_number());
            if (inserted) {
                labels.labels_without_cell.emplace_back(barcode);
            } else {
                earlier = it->second;
            }
        } else if (line_of_cell[cell->second] != 0) {
            earlier = line_of_cell[cell->second];
        } else {
            line_of_cell[cell->second] = reader.line_number();
            labels.per_cell[cell->second] = std::string(label);
            ++labels.matched;
        }
        if (earlier)
            reader.fail("found the barcode " + in_quotes(barcode) + " again (first on line " + std::to_string(earlier) +
                        "), expected each barcode once");
    }
    if (reader.line_number() == 0) fail(path, 0, "empty file; expected 'barcode<TAB>label' lines");
    if (labels.matched == 0)
        fail(path, 0,
             "none of its " + std::to_string(labels.labels_without_cell.size()) + " barcodes (first " +
                 (labels.labels_without_cell.empty() ? std::string("none") : in_quotes(labels.labels_without_cell[0])) +
                 ") match the " + std::to_string(barcodes.size()) + " barcodes of the matrix (first " +
                 (barcodes.empty() ? std::string("none") : in_quotes(barcodes[0])) +
                 "); expected labels keyed by the matrix barcodes");
    for (std::size_t k = 0; k < barcodes.size(); ++k)
        if (line_of_cell[k] == 0) labels.cells_without_label.push_back(barcodes[k]);
    return labels;
}

} // namespace scae::io
