#pragma once
/// @file orientation.hpp
/// @brief Which way round a named table is (genes x cells or cells x genes), told from its row and
/// column names where they make it clear, and said in words where they do not.
///
/// A name looks like a cell barcode when it is only A/C/G/T/N (4 or more, as in "AAAC-1") with an
/// optional "-<number>" suffix, or holds a run of 10 or more of them between separators
/// ("sample1_AACCTGAGAAACCATG-1"); a name looks like a gene id when it is an Ensembl id
/// ("ENSG00000141510", "ENSMUSG00000064370.1"). Gene symbols and Smart-seq cell names ("A1_P3")
/// look like neither, so such tables keep the layout asked for, with a note saying which it was.

#include "scae/io/count_matrix.hpp"

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace scae::io {

/// True when `name` looks like a cell barcode (see the file comment).
/// @param name  a row or column name
/// @return true for "AAACCTGAGAAACCAT-1", "AAAC-1", "s1_AAACCTGAGAAACCAT"; false for "GeneA", "CD3E"
inline bool looks_like_barcode(std::string_view name) {
    const auto is_base = [](char c) { return c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'N'; };
    std::string_view core = name;
    if (const std::size_t dash = core.rfind('-'); dash != std::string_view::npos && dash + 1 < core.size() &&
                                                  core.find_first_not_of("0123456789", dash + 1) == std::string_view::npos)
        core = core.substr(0, dash);
    if (core.size() >= 4 && core.find_first_not_of("ACGTN") == std::string_view::npos) return true;
    std::size_t run = 0;
    for (std::size_t i = 0; i <= core.size(); ++i) {
        if (i < core.size() && is_base(core[i])) {
            ++run;
            continue;
        }
        const bool bounded = i == core.size() || !std::isalnum(static_cast<unsigned char>(core[i]));
        const bool starts_bounded = i == run || !std::isalnum(static_cast<unsigned char>(core[i - run - 1]));
        if (run >= 10 && bounded && starts_bounded) return true;
        run = 0;
    }
    return false;
}

/// True when `name` looks like an Ensembl gene id: "ENS", an optional species code of capitals,
/// "G", 6 or more digits, an optional ".<version>".
/// @param name  a row or column name
/// @return true for "ENSG00000141510" and "ENSMUSG00000064370.1"; false for "TP53"
inline bool looks_like_gene_id(std::string_view name) {
    if (name.substr(0, 3) != "ENS") return false;
    std::size_t i = 3;
    while (i < name.size() && std::isupper(static_cast<unsigned char>(name[i])) && name[i] != 'G') ++i;
    if (i >= name.size() || name[i] != 'G') return false;
    const std::size_t digits = name.find_first_not_of("0123456789", ++i);
    const std::size_t end = digits == std::string_view::npos ? name.size() : digits;
    if (end - i < 6) return false;
    if (end == name.size()) return true;
    return name[end] == '.' && end + 1 < name.size() && name.find_first_not_of("0123456789", end + 1) == std::string_view::npos;
}

/// The layout a table is read with, and why, in words for people.
struct Orientation {
    Layout layout = Layout::genes_by_cells; ///< genes_by_cells or cells_by_genes, never automatic
    std::string note;                        ///< what decided it, for CountMatrix::source; "" for a layout asked for that the names agree with
};

namespace detail {

/// True when at least 90% of `names` (and at least one) satisfy `test`.
template <class Test>
bool mostly(const std::vector<std::string>& names, Test test) {
    std::size_t hits = 0;
    for (const std::string& name : names) hits += test(name) ? 1 : 0;
    return !names.empty() && hits * 10 >= names.size() * 9;
}

/// The first name of `names` that satisfies `test`, quoted, for a note.
template <class Test>
std::string first_such(const std::vector<std::string>& names, Test test) {
    for (const std::string& name : names)
        if (test(name)) return "'" + name + "'";
    return "";
}

} // namespace detail

/// The layout of a table whose rows are named `row_names` and columns `column_names`. With
/// Layout::automatic: cells x genes when the row names look like barcodes or the column names
/// like gene ids (and not also the other way), genes x cells in the opposite case, and genes x
/// cells, said to be assumed, when the names do not tell. A layout asked for is kept, with a
/// warning in the note when the names clearly say otherwise (and no note when they agree or do not tell).
/// @param row_names  the names of the table's rows
/// @param column_names  the names of its columns
/// @param requested  the layout asked for (ReadOptions::layout)
/// @return the layout and a note saying which it is and why
inline Orientation decide_layout(const std::vector<std::string>& row_names, const std::vector<std::string>& column_names,
                                 Layout requested) {
    const bool rows_barcodes = detail::mostly(row_names, looks_like_barcode);
    const bool columns_barcodes = detail::mostly(column_names, looks_like_barcode);
    const bool rows_genes = detail::mostly(row_names, looks_like_gene_id);
    const bool columns_genes = detail::mostly(column_names, looks_like_gene_id);
    const bool rows_are_cells = rows_barcodes || columns_genes;
    const bool rows_are_genes = columns_barcodes || rows_genes;
    std::string evidence;
    if (rows_are_cells != rows_are_genes) {
        if (rows_are_cells)
            evidence = rows_barcodes ? "the row names look like cell barcodes (" + detail::first_such(row_names, looks_like_barcode) + ")"
                                     : "the column names look like gene ids (" + detail::first_such(column_names, looks_like_gene_id) + ")";
        else
            evidence = columns_barcodes
                           ? "the column names look like cell barcodes (" + detail::first_such(column_names, looks_like_barcode) + ")"
                           : "the row names look like gene ids (" + detail::first_such(row_names, looks_like_gene_id) + ")";
    }
    const std::string genes_by_cells = "read as genes x cells (rows are genes)";
    const std::string cells_by_genes = "read as cells x genes (rows are cells)";
    if (requested == Layout::automatic) {
        if (evidence.empty())
            return {Layout::genes_by_cells, genes_by_cells + ", assumed: the row and column names do not tell which are cells; "
                                                             "--layout cells-by-genes reads rows as cells"};
        if (rows_are_cells) return {Layout::cells_by_genes, cells_by_genes + ": " + evidence + "; --layout genes-by-cells reads it the other way"};
        return {Layout::genes_by_cells, genes_by_cells + ": " + evidence + "; --layout cells-by-genes reads it the other way"};
    }
    const bool asked_cells = requested == Layout::cells_by_genes;
    if (evidence.empty() || asked_cells == rows_are_cells) return {requested, ""};
    return {requested, (asked_cells ? cells_by_genes : genes_by_cells) + " as asked; warning: " + evidence + ", which suggests the other layout"};
}

} // namespace scae::io
