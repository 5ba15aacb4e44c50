#pragma once
/// @file report_folder.hpp
/// @brief Writes a multi-file report whole: every file goes into a temporary folder beside the
/// target, which is moved into place only when the report is complete. A run that fails halfway
/// leaves the earlier report as it was, never a half-old, half-new folder.

#include "scae/core/error.hpp"

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif
#if defined(__linux__)
#include <cstdio> // renameat2, RENAME_EXCHANGE (glibc 2.28 and later)
#include <fcntl.h> // AT_FDCWD
#endif

namespace scae::report {

/// A report folder under construction. Write into path() (or file(name)); commit() moves the
/// finished files into the target; the destructor removes an uncommitted temporary folder.
///
/// When the target does not exist, commit() renames the whole temporary folder onto it. When it
/// exists, each entry of the new report replaces the entry of the same name (a folder replaces the
/// old folder whole); other files in the target are left alone, so a report written into a folder
/// that also holds inputs never deletes them. commit() documents how the replacement is made whole.
class ReportFolder {
public:
    /// Prepares a fresh temporary folder beside `target` (creating the target's parent folders).
    /// `keep` lists paths (inputs) that commit() must never replace or delete. Throws
    /// scae::Error when the target exists but is not a folder, or the folder cannot be made.
    /// @param target  the report folder to create or update; relative paths are made absolute
    /// @param keep    input files or folders that the report must not replace
    /// @throws Error for an empty or root target, a target that is not a folder, or a folder that
    /// cannot be created
    explicit ReportFolder(const std::filesystem::path& target, std::vector<std::filesystem::path> keep = {})
        : keep_(std::move(keep)) {
        namespace fs = std::filesystem;
        std::error_code error;
        fs::path t = fs::absolute(target, error).lexically_normal();
        if (error || target.empty()) fail(target.string(), 0, "cannot be used as a report folder (empty or invalid path)");
        if (!t.has_filename()) t = t.parent_path();
        if (t.filename().empty() || t == t.root_path()) fail(target.string(), 0, "cannot be used as a report folder");
        target_ = t;
        if (fs::exists(target_) && !fs::is_directory(target_))
            fail(target.string(), 0, "exists and is not a folder; expected a folder for the report (or a new name)");
        fs::create_directories(target_.parent_path(), error);
        if (error) fail(target_.parent_path().string(), 0, "cannot create the folder: " + error.message());
        temporary_ = target_.parent_path() / ("." + target_.filename().string() + ".partial-" + unique_suffix());
        fs::remove_all(temporary_, error);
        if (!fs::create_directory(temporary_, error) || error)
            fail(temporary_.string(), 0, "cannot create the temporary report folder: " + error.message());
    }

    ReportFolder(const ReportFolder&) = delete;
    ReportFolder& operator=(const ReportFolder&) = delete;

    ~ReportFolder() {
        std::error_code ignored;
        if (!committed_) std::filesystem::remove_all(temporary_, ignored);
    }

    /// The temporary folder that receives the report's files until commit().
    /// @return the temporary folder (removed by commit() or the destructor)
    const std::filesystem::path& path() const { return temporary_; }

    /// `name` inside the temporary folder, as a string.
    /// @param name  a file name (or relative path) inside the report
    /// @return its path inside the temporary folder
    std::string file(const std::string& name) const { return (temporary_ / name).string(); }

    /// The folder the report ends up in (absolute).
    /// @return the absolute, normalised target
    const std::filesystem::path& target() const { return target_; }

    /// Moves the finished report into the target. Checks every entry before moving any, so a
    /// refusal (an entry would replace a kept input) leaves the target untouched.
    ///
    /// Into an existing target the move is one atomic swap where the system allows it (Linux): the
    /// earlier entries that the report does not replace are hard-linked into the temporary folder,
    /// which then changes places with the target (renameat2 RENAME_EXCHANGE), so that a reader
    /// sees the whole earlier report or the whole new one. Where that cannot be done (another
    /// system, a file system without hard links or without the swap), each report entry replaces
    /// the target's entry of the same name in turn.
    /// @throws Error when an entry would replace a kept input, or a move fails
    void commit() {
        namespace fs = std::filesystem;
        std::error_code error;
        if (!fs::exists(target_)) {
            fs::rename(temporary_, target_, error);
            if (error) fail(target_.string(), 0, "cannot move the finished report into place: " + error.message());
            committed_ = true;
            return;
        }
        std::vector<fs::path> entries;
        for (const auto& entry : fs::directory_iterator(temporary_)) entries.push_back(entry.path());
        for (const fs::path& entry : entries) {
            const fs::path destination = target_ / entry.filename();
            for (const fs::path& input : keep_)
                if (holds(destination, input))
                    fail(destination.string(), 0,
                         "the report would replace the input " + input.string() + "; expected a report folder apart from the inputs");
        }
        // A target that is a symbolic link keeps pointing where it did: its entries are replaced.
        if (!fs::is_symlink(fs::symlink_status(target_)) && link_earlier_entries() && exchange(temporary_, target_)) {
            fs::remove_all(temporary_, error); // now the earlier report: its files live on as links
            committed_ = true;
            return;
        }
        for (const fs::path& entry : entries) {
            const fs::path destination = target_ / entry.filename();
            fs::path old;
            if (fs::is_directory(fs::symlink_status(destination)) || (fs::exists(destination) && fs::is_directory(entry))) {
                old = target_ / ("." + entry.filename().string() + ".old-" + unique_suffix());
                fs::rename(destination, old, error);
                if (error) fail(destination.string(), 0, "cannot move the earlier report's entry aside: " + error.message());
            }
            fs::rename(entry, destination, error);
            if (error) {
                if (!old.empty()) fs::rename(old, destination, error);
                fail(destination.string(), 0, "cannot move the finished report entry into place: " + error.message());
            }
            if (!old.empty()) fs::remove_all(old, error);
        }
        fs::remove_all(temporary_, error);
        committed_ = true;
    }

private:
    /// Hard-links every entry of the target that the report does not replace into the temporary
    /// folder (folders are made anew and filled with links; symbolic links are copied as links).
    /// False when any cannot be linked; the target is never changed.
    bool link_earlier_entries() const {
        namespace fs = std::filesystem;
        std::error_code error;
        fs::directory_iterator entry(target_, error), end;
        for (; !error && entry != end; entry.increment(error)) {
            const fs::path destination = temporary_ / entry->path().filename();
            if (fs::exists(fs::symlink_status(destination, error))) continue; // replaced by the report
            if (!link_tree(entry->path(), destination)) return false;
        }
        return !error;
    }

    /// Recreates `from` at `to` out of hard links to its files. False when something cannot be linked.
    static bool link_tree(const std::filesystem::path& from, const std::filesystem::path& to) {
        namespace fs = std::filesystem;
        std::error_code error;
        const fs::file_status status = fs::symlink_status(from, error);
        if (error) return false;
        if (fs::is_symlink(status)) {
            fs::copy_symlink(from, to, error);
        } else if (fs::is_directory(status)) {
            if (!fs::create_directory(to, error) || error) return false;
            fs::directory_iterator entry(from, error), end;
            for (; !error && entry != end; entry.increment(error))
                if (!link_tree(entry->path(), to / entry->path().filename())) return false;
        } else if (fs::is_regular_file(status)) {
            fs::create_hard_link(from, to, error);
        } else {
            return false; // a socket or a device: leave it to the entry-by-entry move
        }
        return !error;
    }

    /// Swaps two paths in one step. False where the system or the file system cannot.
    static bool exchange(const std::filesystem::path& a, const std::filesystem::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
        return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
        (void)a, (void)b;
        return false;
#endif
    }

    /// True when `path` is `input` or a folder that contains it.
    static bool holds(const std::filesystem::path& path, const std::filesystem::path& input) {
        namespace fs = std::filesystem;
        std::error_code error;
        if (!fs::exists(path, error) || input.empty() || !fs::exists(input, error)) return false;
        const fs::path p = fs::canonical(path, error), i = fs::canonical(input, error);
        if (error) return false;
        if (fs::equivalent(p, i, error)) return true;
        auto pi = p.begin(), ii = i.begin();
        for (; pi != p.end() && ii != i.end(); ++pi, ++ii)
            if (*pi != *ii) return false;
        return pi == p.end();
    }

    static std::string unique_suffix() {
        static int counter = 0;
#if __has_include(<unistd.h>)
        const long long pid = static_cast<long long>(::getpid());
#else
        const long long pid = 0;
#endif
        return std::to_string(pid) + "-" + std::to_string(++counter);
    }

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    std::vector<std::filesystem::path> keep_;
    bool committed_ = false;
};

} // namespace scae::report
