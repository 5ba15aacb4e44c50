#pragma once
/// @file label_map.hpp
/// @brief Reading a label map: which target label each reference label stands for, where the
/// two vocabularies differ (`scae annotate --label-map`, transfer::score_annotation).

#include "scae/core/error.hpp"
#include "scae/io/fields.hpp"
#include "scae/io/line_reader.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace scae::io {

/// Reads a label map: tab-separated `reference_label<TAB>target_label` lines (plain or gzip), no
/// header, lines starting with '#' ignored. Several reference labels may map to one target label.
/// @param path  the file
/// @return reference label -> target label
/// @throws Error naming the file and line for a line without two non-empty fields, a reference
/// label listed twice, or a file with no mapping
inline std::map<std::string, std::string> read_label_map(const std::string& path) {
    std::map<std::string, std::string> out;
    std::map<std::string, long long> line_of;
    LineReader reader(path);
    std::vector<std::string_view> fields;
    std::string_view line;
    while (reader.next(line)) {
        if (line.empty() || line.front() == '#') continue;
        reader.require_utf8(line, "the line");
        split(line, '\t', fields);
        if (fields.size() != 2 || fields[0].empty() || fields[1].empty())
            reader.fail("found " + in_quotes(line) + ", expected 'reference_label<TAB>target_label'");
        const auto [it, inserted] = line_of.emplace(std::string(fields[0]), reader.line_number());
        if (!inserted)
            reader.fail("found the reference label " + in_quotes(fields[0]) + " again (first on line " + std::to_string(it->second) +
                        "), expected each reference label once");
        out.emplace(std::string(fields[0]), std::string(fields[1]));
    }
    if (out.empty()) fail(path, 0, "no mapping found; expected 'reference_label<TAB>target_label' lines");
    return out;
}

} // namespace scae::io
